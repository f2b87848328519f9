// Parses TraceQL queries with Grafana's own grammar (@grafana/lezer-traceql, what its query editor uses).
// Input: a JSON array of strings on stdin. Output: a JSON array, one entry per query: null when the query
// parses, else {"at": offset, "near": text} for the first error node (lezer recovers from errors and marks them).
const { parser } = require("@grafana/lezer-traceql");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((query) => {
    let error = null;
    parser.parse(query).iterate({
      enter: (node) => {
        if (node.type.isError && error === null) {
          error = { at: node.from, near: query.slice(Math.max(0, node.from - 10), node.from + 10) };
        }
      },
    });
    return error;
  });
  process.stdout.write(JSON.stringify(results));
});
