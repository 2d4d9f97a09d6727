// Runs static/app.js's action filling on tests/fixtures/action-vectors.json, the cases the
// Rust implementation passes too; prints each failure and exits 1 if there is one.
'use strict';
const path = require('path');
const root = path.join(__dirname, '..', '..');
const actions = require(path.join(root, 'static', 'app.js'));
const vectors = require(path.join(root, 'tests', 'fixtures', 'action-vectors.json'));

let failures = 0;
for (const vector of vectors) {
  const checked = actions.check(vector.values);
  let got;
  if (checked.refused) {
    got = { refused: checked.refused };
  } else {
    const filled = actions.fill(actions.split(vector.template), checked.values);
    got = { argv: filled.argv, command: filled.command };
  }
  const want = vector.refused ? { refused: vector.refused } : { argv: vector.argv, command: vector.command };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    failures += 1;
    console.log(`${vector.note}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
  }
}
console.log(`${vectors.length - failures} of ${vectors.length} vectors pass`);
process.exit(failures ? 1 : 0);
