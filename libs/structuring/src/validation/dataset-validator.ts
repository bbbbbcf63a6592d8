import { readDataset, type ReadDatasetOptions, type ReadResult } from '../records/dataset-reader';
import { type DatasetRecord, type RecordFormat, type RecordIssue } from '../records/record';
import type { ByteSource } from '../records/segments';
import { recordIssues } from './record-checks';
import { createTokenCounter, type TokenCounter, type TokenCounterOptions } from './tokenizer';

/** One problem on one line, as `line 17: messages[2].role must be one of system, user, assistant`. */
export interface LineIssue extends RecordIssue {
  line: number;
}

export interface ValidatedRecord {
  line: number;
  record: DatasetRecord;
  format: RecordFormat;
  tokens: number;
}

export interface ValidationReport {
  /** Every record read, valid or not. */
  examples: number;
  valid: number;
  invalid: number;
  /** All errors counted; only the first `maxErrors` are listed. */
  errorCount: number;
  errors: LineIssue[];
  warningCount: number;
  warnings: LineIssue[];
  formats: Partial<Record<RecordFormat, number>>;
  tokens: { total: number; max: number; mean: number };
  tokenizer: { encoding: TokenCounter['encoding']; estimated: boolean };
  contextLength: number;
  /** Whether a version made of the valid records may be frozen, and why not. */
  freeze: FreezeCheck;
}

export type FreezeCheck = { ok: true } | { ok: false; reason: string };

export interface DatasetValidatorOptions extends TokenCounterOptions {
  /** Errors (and warnings) listed in the report; every one is counted. */
  maxErrors?: number;
  /** Fewest valid examples a version may be frozen with; OpenAI asks for 10. */
  minExamples?: number;
  /** A shared counter, so that many validations reuse one. */
  tokenizer?: TokenCounter;
}

export const DEFAULT_MAX_ERRORS = 100;
export const DEFAULT_MIN_EXAMPLES = 10;

/** A version is frozen only with enough valid examples and none invalid. */
export function checkFreeze(report: Pick<ValidationReport, 'valid' | 'invalid'>, minExamples = DEFAULT_MIN_EXAMPLES): FreezeCheck {
  if (report.invalid > 0) return { ok: false, reason: `${report.invalid} example${report.invalid === 1 ? ' is' : 's are'} invalid` };
  if (report.valid < minExamples) return { ok: false, reason: `at least ${minExamples} examples are needed, there ${report.valid === 1 ? 'is' : 'are'} ${report.valid}` };
  return { ok: true };
}

export interface DatasetValidator {
  /** Checks one read result, records it in the report, and returns the record with its token count when it is valid. */
  check(result: ReadResult): ValidatedRecord | null;
  report(): ValidationReport;
}

/** Collects a report over a stream of read results, holding only the listed errors and running totals. */
export function createDatasetValidator(options: DatasetValidatorOptions = {}): DatasetValidator {
  const maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  const minExamples = options.minExamples ?? DEFAULT_MIN_EXAMPLES;
  const tokenizer = options.tokenizer ?? createTokenCounter(options);
  const contextLength = options.contextLength ?? tokenizer.contextLength;
  const errors: LineIssue[] = [];
  const warnings: LineIssue[] = [];
  const formats: Partial<Record<RecordFormat, number>> = {};
  let valid = 0;
  let invalid = 0;
  let errorCount = 0;
  let warningCount = 0;
  let total = 0;
  let max = 0;

  const fail = (line: number, issues: RecordIssue[]) => {
    invalid++;
    errorCount += issues.length;
    for (const issue of issues) if (errors.length < maxErrors) errors.push({ line, ...issue });
    return null;
  };

  return {
    check(result) {
      if ('errors' in result) return fail(result.line, result.errors);
      const issues = recordIssues(result.record, result.format);
      if (issues.length) return fail(result.line, issues);
      const tokens = tokenizer.countRecord(result.record);
      if (tokens > contextLength) {
        warningCount++;
        if (warnings.length < maxErrors) {
          warnings.push({ line: result.line, path: '', message: `has ${tokens} tokens, over the context length of ${contextLength}: it will be truncated in training` });
        }
      }
      valid++;
      total += tokens;
      if (tokens > max) max = tokens;
      formats[result.format] = (formats[result.format] ?? 0) + 1;
      return { line: result.line, record: result.record, format: result.format, tokens };
    },
    report() {
      return {
        examples: valid + invalid,
        valid,
        invalid,
        errorCount,
        errors: [...errors],
        warningCount,
        warnings: [...warnings],
        formats: { ...formats },
        tokens: { total, max, mean: valid ? Math.round(total / valid) : 0 },
        tokenizer: { encoding: tokenizer.encoding, estimated: tokenizer.estimated },
        contextLength,
        freeze: checkFreeze({ valid, invalid }, minExamples),
      };
    },
  };
}

/** Reads and validates a whole file as a stream, keeping nothing but the report. */
export async function validateDataset(source: ByteSource, options: DatasetValidatorOptions & ReadDatasetOptions = {}): Promise<ValidationReport> {
  const validator = createDatasetValidator(options);
  for await (const result of readDataset(source, options)) validator.check(result);
  return validator.report();
}
