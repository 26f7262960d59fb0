// Writes src/sandbox/cfn-resource-types.json: every AWS:: resource type in the CloudFormation
// resource specification the project already depends on (@aws-cdk/aws-service-spec's db.json.gz),
// with the attributes Fn::GetAtt may read. The moto launcher rejects any other type or attribute, as
// CloudFormation does. Run after upgrading @aws-cdk/aws-service-spec: `node scripts/generate-cfn-types.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const dbPath = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
const specVersion = JSON.parse(
  readFileSync(require.resolve('@aws-cdk/aws-service-spec/package.json'), 'utf8'),
).version;
const db = JSON.parse(gunzipSync(readFileSync(dbPath)).toString('utf8'));
const types = {};
for (const r of db.schema.resource.entities) {
  const type = r.cloudFormationType;
  if (typeof type !== 'string' || !type.startsWith('AWS::')) continue;
  // Attributes named with dots (Endpoint.Address) are GetAtt names as written in templates.
  types[type] = Object.keys(r.attributes ?? {}).sort();
}
const sorted = Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b)));
const out = new URL('../src/sandbox/cfn-resource-types.json', import.meta.url);
writeFileSync(
  out,
  JSON.stringify(
    {
      source: `@aws-cdk/aws-service-spec ${specVersion} db.json.gz`,
      generatedBy: 'scripts/generate-cfn-types.mjs',
      types: sorted,
    },
    null,
    0,
  ) + '\n',
);
console.log(`${Object.keys(sorted).length} resource types written to ${out.pathname}`);
