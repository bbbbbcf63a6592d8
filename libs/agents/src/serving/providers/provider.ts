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
  /** What `warm` began for this answer: the generation continues from it, and frees it when it ends. */
  warmed?: Warmed;
}

/** The part of a prompt that is known before retrieval ends. */
export interface PromptOpening {
  /** The prompt's first messages; the last one may be only the start of its message (see `continued`). */
  messages: ChatMessage[];
  /** Whether the last message continues in the prompt (the passages' lead-in, which the passages follow). */
  continued: boolean;
}

/** A prompt's opening a provider has begun to read; given up with `release` when no generation follows. */
export interface Warmed {
  release(): void;
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
      /** Prompt tokens the model had read from a warmed opening before the rest of the prompt came. */
      readAhead?: number;
    };

/** One kind of model behind agents: streams an answer's text, then says why it ended. */
export interface ModelProvider {
  readonly kind: AgentProvider['kind'];
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent>;
  /**
   * Starts reading a prompt's opening while the rest is still being put together (retrieval), on a
   * model slot the caller already holds: the answer's first token then waits only for the tokens
   * after it. Offered by providers that keep a model's state between calls (a local model).
   */
  warm?(request: { provider: AgentProvider; opening: PromptOpening; maxTokens: number }): Warmed;
  close?(): Promise<void>;
}
