import type { AgentProvider } from '@llmp/contracts';
import type { ChatMessage } from '../chat-request';
import type { PromptPassage } from '../prompt';

export interface GenerationRequest {
  provider: AgentProvider;
  /** The whole prompt: system prompt, numbered passages, then the conversation. */
  messages: ChatMessage[];
  /** The passages in the prompt, for providers that answer from them directly. */
  passages: PromptPassage[];
  /** Indexes of `messages` a model with a short context may shorten from their ends, in this order. */
  shortenable: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  /** Aborted when the client goes away: generation stops and frees what it holds. */
  signal: AbortSignal;
}

export type GenerationEvent =
  | { type: 'delta'; text: string }
  | {
      type: 'done';
      finishReason: 'stop' | 'length';
      /** Token counts the provider measured itself; counted with the platform's tokenizer otherwise. */
      usage?: { promptTokens: number; completionTokens: number };
      /** The prompt did not fit the model's context: tokens dropped from each message (by index), and from its start as a last resort. */
      shortened?: { messages: Record<number, number>; fromStart: number };
    };

/** One kind of model behind agents: streams an answer's text, then says why it ended. */
export interface ModelProvider {
  readonly kind: AgentProvider['kind'];
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent>;
  close?(): Promise<void>;
}
