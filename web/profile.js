// Forms about yourself: the time zone filled in from the browser where the page asks for it
// (setting up, joining), and on /settings the profile and the password sent to the API with
// the session's CSRF token.
const zone = document.querySelector('input[name=time_zone][data-guess-zone]');
if (zone && !zone.value) {
  zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// Requests go through api.js, at this file's version.
const api = await import(`./api.js${new URL(import.meta.url).search}`);

// Sends a change; what went wrong, or nothing.
async function send(method, url, body) {
  try {
    await api.send(method, url, body);
    return null;
  } catch (error) {
    return error.message;
  }
}

function workingHours(form) {
  const hours = {};
  for (const key of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) {
    if (form.elements[`day_${key}`].checked) {
      hours[key] = [form.elements[`start_${key}`].value, form.elements[`end_${key}`].value];
    }
  }
  return hours;
}

const profile = document.getElementById('profile-form');
profile?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = document.getElementById('profile-status');
  status.textContent = 'Saving…';
  const problem = await send('PATCH', '/api/v1/me', {
    display_name: profile.elements.name.value,
    time_zone: profile.elements.time_zone.value,
    working_hours: workingHours(profile),
  });
  status.textContent = problem || 'Saved.';
});

const password = document.getElementById('password-form');
password?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = document.getElementById('password-status');
  const problem = await send('POST', '/api/v1/me/password', {
    current: password.elements.current.value,
    new: password.elements.new.value,
  });
  if (!problem) password.reset();
  status.textContent = problem || 'Password changed. Your other sessions and API tokens were signed out.';
});

const away = document.getElementById('away-form');
async function setAway(until) {
  const status = document.getElementById('away-status');
  const problem = await send('PATCH', '/api/v1/me', { away_until: until });
  status.textContent = problem || (until ? `Away until ${until}.` : 'Welcome back.');
}
away?.addEventListener('submit', (event) => {
  event.preventDefault();
  setAway(away.elements.away_until.value || null);
});
document.getElementById('back-now')?.addEventListener('click', () => {
  away.elements.away_until.value = '';
  setAway(null);
});

const choice = document.getElementById('notifications-form');
choice?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = document.getElementById('notifications-status');
  const problem = await send('PATCH', '/api/v1/me/notifications', { email: choice.elements.email.value });
  status.textContent = problem || 'Saved.';
});
