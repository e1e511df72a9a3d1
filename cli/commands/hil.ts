// Placeholder until this command lands; replaced by its real implementation.
export async function run(_argv: string[]): Promise<number> {
  console.error('ballbot hil: not implemented yet');
  return 1;
}
