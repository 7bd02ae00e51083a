/** Types of checkBundleBudget.mjs for the TypeScript tests that call it. */
export type BundleSizes = Record<string, number>;
export interface OverBudget { file: string; bytes: number; budgetBytes: number; message: string }
export function measureBundles(uiDir: string): BundleSizes;
export function checkBundleBudget(uiDir: string, budgetKib: Record<string, number>): { sizes: BundleSizes; over: OverBudget[] };
