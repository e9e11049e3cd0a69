// Imported first by the CLI, so an old Node.js stops with a sentence instead of a stack trace
// from the first API it lacks.
import { runtimeProblem } from './runtime.js';

const problem = runtimeProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
