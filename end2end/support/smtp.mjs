// A real SMTP server for tests (npm `smtp-server`, by the nodemailer
// project): listens on 127.0.0.1 on a free port, prints `listening <port>`,
// then each message it receives as one JSON line {from, to, data}. Plain
// SMTP (no TLS), any sender, no authentication.
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    let data = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => { data += chunk; });
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address);
      process.stdout.write(JSON.stringify({ from: session.envelope.mailFrom.address, to, data }) + '\n');
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.server.address().port}\n`);
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
