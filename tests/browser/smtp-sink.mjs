// A tiny SMTP server for browser tests: keeps every message (quoted-printable decoded).
import { createServer } from "node:net";

export async function startSmtpSink() {
  const messages = [];
  const server = createServer((sock) => {
    let buf = "";
    let inData = false;
    let msg = "";
    sock.write("220 sink ESMTP\r\n");
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            messages.push(msg.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
            msg = "";
            sock.write("250 OK\r\n");
          } else {
            msg += (line.startsWith(".") ? line.slice(1) : line) + "\r\n";
          }
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith("EHLO")) sock.write("250-sink\r\n250 8BITMIME\r\n");
        else if (cmd === "DATA") { inData = true; sock.write("354 go ahead\r\n"); }
        else if (cmd === "QUIT") { sock.end("221 bye\r\n"); }
        else sock.write("250 OK\r\n");
      }
    });
    sock.on("error", () => {});
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `smtp://127.0.0.1:${server.address().port}`,
    messages,
    async waitFor(pred, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = messages.find(pred);
        if (m) return m;
        if (Date.now() > end) throw new Error(`no matching mail within ${ms} ms (got ${messages.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
