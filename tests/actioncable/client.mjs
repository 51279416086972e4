// The unmodified @rails/actioncable client, driven as Chatwoot's dashboard drives it: subscribe
// to RoomChannel and print every message it hears, one JSON line each (tests/api/realtime.rs).
// Usage: node client.mjs <ws url> <identifier JSON> <messages to wait for>
import WebSocket from "ws";

// What a browser page gives ActionCable and Node does not: its connection monitor listens for
// the page's visibility. The client itself is used as published.
globalThis.addEventListener ??= () => {};
globalThis.removeEventListener ??= () => {};
globalThis.document ??= { visibilityState: "visible" };

const { adapters, createConsumer } = await import("@rails/actioncable");
adapters.WebSocket = WebSocket;

const [url, identifier, expected] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const consumer = createConsumer(url);
let received = 0;
const done = (code) => {
  consumer.disconnect();
  process.exit(code);
};
consumer.subscriptions.create(JSON.parse(identifier), {
  connected() {
    print({ type: "connected", protocol: consumer.connection.getProtocol() });
  },
  rejected() {
    print({ type: "rejected" });
    done(0);
  },
  received(message) {
    print({ type: "received", message });
    if (++received >= Number(expected)) done(0);
  },
});
setTimeout(() => {
  print({ type: "timeout" });
  done(1);
}, 30000);
