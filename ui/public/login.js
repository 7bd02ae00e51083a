// Login page: trades the access token for an HttpOnly session cookie, then opens the dashboard.
const form = document.getElementById('login');
const error = document.getElementById('error');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const token = new FormData(form).get('token');
  const res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
  if (res.ok) location.href = '/';
  else error.textContent = res.status === 401 ? 'That token is not right.' : `Sign-in failed (${res.status}).`;
});
