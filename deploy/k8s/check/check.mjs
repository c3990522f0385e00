// Validates rendered Kubernetes manifests (multi-document YAML, from `kubectl kustomize`) against the schemas of
// kubernetes-models (Kubernetes 1.x OpenAPI), @kubernetes-models/keda and @kubernetes-models/prometheus-operator.
// A kind without a schema here is an error, so nothing passes unchecked.
//   node check.mjs FILE...   exit 0: every document is valid; 1: the errors are printed.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion group -> the package that models it.
const packages = {
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path = packages[group] ? `${packages[group]}/${group}/${version}` : `kubernetes-models/${group ? `${group}/` : ""}${version}`;
  try {
    const module = await import(path);
    return module[kind] ?? null;
  } catch {
    return null;
  }
}

// The schemas check types, required fields, formats and enums. Like the OpenAPI they come from, they let unknown
// fields pass: a misspelt optional field is not caught here.
const errors = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      errors.push(`${file}: YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }

    const manifest = document.toJS();
    if (manifest === null) {
      continue;
    }

    count++;
    // kustomize wraps long base64 values over lines; the API server's decoder skips the line breaks, the schema's
    // "byte" format does not.
    if (manifest.kind === "Secret" && manifest.data) {
      for (const key of Object.keys(manifest.data)) {
        manifest.data[key] = String(manifest.data[key]).replace(/\s+/g, "");
      }
    }

    const name = `${file}: ${manifest.kind ?? "?"}/${manifest.metadata?.name ?? "?"}`;
    const Model = manifest.apiVersion && manifest.kind ? await modelFor(manifest.apiVersion, manifest.kind) : null;
    if (!Model) {
      errors.push(`${name}: no schema for apiVersion ${manifest.apiVersion}, kind ${manifest.kind}`);
      continue;
    }

    try {
      new Model(manifest).validate();
    } catch (error) {
      errors.push(`${name}: ${error.message}`);
    }
  }
}

if (errors.length > 0) {
  console.error(errors.join("\n"));
  process.exit(1);
}

console.log(`${count} manifests valid`);
