/** Types of bundleBudget.mjs for the TypeScript tests that read it. */
export const BUNDLE_BUDGET_KIB: Record<string, number>;
