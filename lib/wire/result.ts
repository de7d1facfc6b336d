/**
 * Codecs never throw on bad input from the wire (docs/design.md §1.2): they return a Result whose error names
 * what was wrong, and the caller reports it.
 */
export type CodecErrorCode =
  | 'short_frame'
  | 'bad_header'
  | 'bad_checksum'
  | 'bad_length'
  | 'unknown_variant'
  | 'unknown_command'
  | 'exception'
  | 'mismatch'
  | 'bad_value';

export interface CodecError {
  code: CodecErrorCode;
  message: string;
}

export type Result<T, E = CodecError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: CodecErrorCode, message: string): { ok: false; error: CodecError } {
  return { ok: false, error: { code, message } };
}

/** Runs a decoder and turns anything it throws into a bad_value error, as a last line of defence. */
export function guarded<T>(decode: () => Result<T>): Result<T> {
  try {
    return decode();
  } catch (err) {
    return fail('bad_value', err instanceof Error ? err.message : String(err));
  }
}
