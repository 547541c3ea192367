import { generateCorpus } from './corpus.ts';
import { measureRunner } from './throughput.ts';
const c = generateCorpus({ count: Number(process.env.N ?? 300) });
console.log(await measureRunner(c, 2));
