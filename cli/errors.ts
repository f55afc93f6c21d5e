/** The command line is wrong (exit 2). Messages name the flag and never echo a secret. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
