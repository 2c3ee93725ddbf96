// Which peers each host probes when `verify --peers K` asks for K of its N−1: the pairs grow as
// N², and past some N (docs/scale.md) probing all of them takes longer than an operator waits.
// The hosts stand on a ring in inventory order and every host probes the same K offsets round
// it, spread evenly over 1..N−1: so each host sends K probes and is probed by K others, and the
// sampled pairs reach across the whole inventory, not only its neighbours.
//   sampledPeers(['a', 'b', 'c', 'd', 'e'], 2) → a: [c, e], b: [d, a], c: [e, b], d: [a, c], e: [b, d]

/** Every host's peers to probe, in inventory order of the offsets; all of them when `peers` is undefined or ≥ N−1. */
export function sampledPeers(names: readonly string[], peers: number | undefined): Map<string, string[]> {
  const n = names.length;
  const offsets = peerOffsets(n, peers);
  return new Map(names.map((name, index) => [name, offsets.map((offset) => names[(index + offset) % n] ?? name)]));
}

/** K distinct offsets in 1..N−1, evenly spread: ⌊j·(N−1)/K⌋ for j = 1..K (every offset when K ≥ N−1). */
export function peerOffsets(n: number, peers: number | undefined): number[] {
  const all = Math.max(0, n - 1);
  const k = peers === undefined ? all : Math.min(all, peers);
  return Array.from({ length: k }, (_, j) => Math.floor(((j + 1) * all) / k));
}
