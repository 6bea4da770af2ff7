// A check-in's round: a written answer (or a changed one), replies to answers, hearing an
// answer (a play is a receipt), deleting one's own text reply. Everything the page shows came
// escaped from the server; what this adds goes in as text. `live.js` keeps the page current.
// Requests go through api.js, at this file's version.
const { request, send } = await import(`./api.js${new URL(import.meta.url).search}`);

const refresh = () => document.dispatchEvent(new Event('offbeat-refresh'));

// The answer panel is a live part (it changes as the round does), so its form is listened to
// through the document rather than held.
document.addEventListener('submit', async (event) => {
  const answerForm = event.target.closest('#answer-form');
  if (!answerForm) return;
  event.preventDefault();
  const status = answerForm.querySelector('.status');
  try {
    await send('POST', answerForm.dataset.action, { text: answerForm.elements.text.value });
    answerForm.elements.text.value = '';
    status.textContent = 'Answer sent.';
    refresh();
  } catch (error) {
    status.textContent = `Not sent: ${error.message}`;
  }
});
// A take recorded with the button is posted as the answer by the button itself.
document.addEventListener('offbeat-recorded', refresh);

const replyForm = document.getElementById('reply-form');
function answer(replyId, author) {
  replyForm.hidden = false;
  replyForm.elements.parent_id.value = replyId;
  replyForm.querySelector('#replying-to strong').textContent = author || '';
  replyForm.elements.text.focus();
}
document.getElementById('cancel-reply')?.addEventListener('click', () => { replyForm.hidden = true; });
document.querySelector('.thread')?.addEventListener('click', async (event) => {
  const reply = event.target.closest('button.answer');
  if (reply) answer(reply.dataset.reply, reply.dataset.author);
  const remove = event.target.closest('button.delete-reply');
  if (remove && confirm('Delete this reply?')) {
    try {
      await send('DELETE', remove.dataset.url);
      refresh();
    } catch (error) {
      alert(error.message);
    }
  }
});
replyForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = replyForm.querySelector('.status');
  try {
    await send('POST', replyForm.dataset.action, {
      text: replyForm.elements.text.value,
      parent_id: replyForm.elements.parent_id.value,
    });
    replyForm.elements.text.value = '';
    replyForm.hidden = true;
    refresh();
  } catch (error) {
    status.textContent = `Not sent: ${error.message}`;
  }
});

// Hearing an answer is playing it: the first play of each player is reported once.
const reported = new Set();
document.addEventListener('play', (event) => {
  const url = event.target.dataset?.seen;
  if (!url || reported.has(url)) return;
  reported.add(url);
  request(url, { method: 'POST' }).then((r) => { if (!r.ok) reported.delete(url); }, () => reported.delete(url));
}, true);
