/** The benchmark's fixed prompts: the same text in every run, so two runs differ only in what the model was launched
 *  with. Short and long prompts mixed (a chat question, a summary of a passage, code), used in this order, cyclically. */
const PASSAGE = [
  'The DGX Spark pairs a Grace CPU with a Blackwell GPU on one package that shares 128 GB of unified memory.',
  'Because CPU and GPU read the same memory, a model larger than a discrete card could hold can be served,',
  'but memory bandwidth, not compute, usually bounds how fast tokens are generated one after another.',
  'Batching many requests together lets the GPU reuse each weight it reads for several sequences at once,',
  'which is why throughput rises with concurrency while the time each single request waits grows as well.',
  'Prefill, the pass over the prompt, is compute bound and fast per token; decode, the generation, is memory bound.',
].join(' ');

export const BENCHMARK_PROMPTS: readonly string[] = Object.freeze([
  'Explain in a few sentences why the sky is blue.',
  `Summarise the following passage in three bullet points.\n\n${PASSAGE}`,
  'Write a TypeScript function that returns the n-th Fibonacci number iteratively, with a short comment.',
  'List five practical tips for keeping a home server quiet and cool.',
  `Read the passage and answer: what bounds decode speed, and why does batching help?\n\n${PASSAGE}\n\n${PASSAGE}`,
  'Translate into French: "The meeting moved to Thursday at ten; please bring the printed report."',
  'Give a step-by-step plan to learn the basics of linear algebra in four weeks.',
  `Rewrite this passage for a ten-year-old, keeping every fact.\n\n${PASSAGE}`,
]);

/** The prompt of request `i` of a level. */
export const benchmarkPrompt = (i: number): string => BENCHMARK_PROMPTS[i % BENCHMARK_PROMPTS.length];
