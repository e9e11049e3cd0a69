/**
 * The oldest Node.js geosteer runs on: 22.12 is the first release with `reusePort` on both dgram
 * and net sockets, which answer threads bind with. Node 24 LTS is what the project is tested on
 * (package.json pins it as the `node` devDependency, so npm scripts run on it).
 */
export const MIN_NODE = [22, 12] as const;

/** A message saying why this Node.js cannot run geosteer, or null when it can. */
export function runtimeProblem(version: string = process.versions.node): string | null {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return null;
  return (
    `geosteer needs Node.js ${MIN_NODE.join('.')} or later (24 LTS recommended); this is ` +
    `${version}. From a clone, \`npm install\` brings Node 24 into node_modules/node/bin/node and ` +
    '`npm start` / `npx geosteer` run on it; elsewhere see docs/deployment.md#node'
  );
}
