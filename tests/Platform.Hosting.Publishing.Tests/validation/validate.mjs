// Validates the publishers' outputs; prints one JSON line {ok, errors[]} and exits 1 when anything is invalid.
//   node validate.mjs schema <schema.json> <file.json|file.yaml>   (JSON Schema draft-07: the Aspire manifest, Compose)
//   node validate.mjs kubernetes <rendered.yaml>                    (helm template output: many documents)
//   node validate.mjs tojson <file.yaml>                            (prints the documents as one JSON array)
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments, parse } from 'yaml';
import * as models from 'kubernetes-models';

const [kind, ...files] = process.argv.slice(2);
const errors = [];

if (kind === 'schema') {
  const schema = JSON.parse(readFileSync(files[0], 'utf8'));
  // Both schemas are draft-07; ajv knows that meta-schema by its canonical id only.
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const text = readFileSync(files[1], 'utf8');
  const data = files[1].endsWith('.json') ? JSON.parse(text) : parse(text);
  if (!validate(data)) {
    for (const e of validate.errors) errors.push(`${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
} else if (kind === 'kubernetes') {
  const byKind = new Map();
  // Exports are group -> version -> model, except the core group (v1 -> model).
  const collect = (exports, depth) => {
    for (const value of Object.values(exports)) {
      if (typeof value === 'function' && value.apiVersion && value.kind) byKind.set(`${value.apiVersion}/${value.kind}`, value);
      else if (value && typeof value === 'object' && depth < 2) collect(value, depth + 1);
    }
  };
  collect(models, 0);
  const docs = parseAllDocuments(readFileSync(files[0], 'utf8')).map(d => d.toJS()).filter(d => d);
  if (docs.length === 0) errors.push('no Kubernetes object was rendered');
  for (const doc of docs) {
    const label = `${doc.kind}/${doc.metadata?.name}`;
    const model = byKind.get(`${doc.apiVersion}/${doc.kind}`);
    if (!model) { errors.push(`${label}: unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`); continue; }
    try { new model(doc).validate(); } catch (e) { errors.push(`${label}: ${e.message}`); }
  }
  console.error(`validated ${docs.length} objects: ${docs.map(d => `${d.kind}/${d.metadata?.name}`).join(', ')}`);
} else if (kind === 'tojson') {
  // Not a check: prints the documents of a YAML file as one JSON array, for the .NET tests to read.
  console.log(JSON.stringify(parseAllDocuments(readFileSync(files[0], 'utf8')).map(d => d.toJS()).filter(d => d)));
  process.exit(0);
} else {
  errors.push(`unknown kind '${kind}'`);
}

console.log(JSON.stringify({ ok: errors.length === 0, errors }));
process.exit(errors.length === 0 ? 0 : 1);
