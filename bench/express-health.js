// Express 5 alone answering the health route: the framework's own cost per trivial request.
const express = require('express');
const app = express();
app.get('/v1/agent/health', (_req, res) => res.json({ client: { message: 'ok', ok: true } }));
app.listen(0, '127.0.0.1', function () {
  console.log('express listening on http://127.0.0.1:' + this.address().port);
});
