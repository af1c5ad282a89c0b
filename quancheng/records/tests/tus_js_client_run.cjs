// The reference tus client (tus-js-client, from npm) against our server; run by
// test_tus_js_client.py with NODE_PATH pointing at its installation.
//   node tus_js_client_run.cjs start  ENDPOINT TOKEN FILE ABORT_AFTER   → {"url", "sent"}
//   node tus_js_client_run.cjs resume ENDPOINT TOKEN FILE UPLOAD_URL    → {"url", "offset"}
"use strict";
const fs = require("fs");
const tus = require("tus-js-client");

const [phase, endpoint, token, path, arg] = process.argv.slice(2);
const data = fs.readFileSync(path);

function finish(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

const options = {
  endpoint,
  chunkSize: 1024 * 1024,
  headers: { Authorization: "Bearer " + token },
  metadata: { filename: "tus-js-client.bin" },
  retryDelays: null,
  uploadDataDuringCreation: true, // the creation-with-upload extension
  onError: (error) => {
    process.stderr.write(String(error) + "\n");
    process.exit(1);
  },
};
let upload;
if (phase === "start") {
  options.onChunkComplete = (chunkSize, sent) => {
    if (sent >= Number(arg)) {
      upload.abort().then(() => finish({ url: upload.url, sent }));
    }
  };
} else {
  options.uploadUrl = arg; // a restarted client resumes the upload it had started
  let resumedAt = null;
  options.onChunkComplete = (chunkSize, sent) => {
    if (resumedAt === null) resumedAt = sent - chunkSize;
  };
  options.onSuccess = () => finish({ url: upload.url, offset: resumedAt });
}
upload = new tus.Upload(data, options);
upload.start();
