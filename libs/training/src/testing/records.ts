import type { DatasetRecordBody } from '@llmp/contracts';

const QUESTIONS: [string, string][] = [
  ['When is the boiler serviced?', 'The boiler is serviced every spring by the facilities team.'],
  ['Who renews software licences?', 'The IT desk renews software licences each January.'],
  ['Where are the spare keys kept?', 'Spare keys are kept in the locked cabinet at reception.'],
  ['How do I book a meeting room?', 'Book meeting rooms in the calendar under Rooms.'],
  ['What is the travel budget?', 'The travel budget is set by each team lead in March.'],
  ['When does the office close?', 'The office closes at six in the evening on weekdays.'],
];

/** Chat records like a frozen dataset version holds: one weight-0 answer that must not be learned. */
export function chatRecords(count: number, prefix = 'rec'): DatasetRecordBody[] {
  return Array.from({ length: count }, (_, i) => {
    const [q, a] = QUESTIONS[i % QUESTIONS.length];
    return {
      id: `${prefix}_${i}`,
      messages: [
        { role: 'system' as const, content: 'You answer questions about the office handbook.' },
        { role: 'user' as const, content: q },
        { role: 'assistant' as const, content: i % 5 === 4 ? 'I do not know.' : a, ...(i % 5 === 4 ? { weight: 0 as const } : {}) },
      ],
    };
  });
}

export const toNdjson = (records: readonly DatasetRecordBody[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
