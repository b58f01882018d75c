// SPDX-License-Identifier: Apache-2.0
// The signed-in user's own tokens: sign-in sessions and API tokens for scripts (kos orbit,
// kos release upload). A new API token is shown once, here, and never again; any token
// can be revoked, and is refused from the next request on. These are the user's own, not
// an organisation's: members with the user role manage theirs too.

import { del, get, post } from './api.js';
import { add, code, confirmAction, h, replace, section, table, time } from './dom.js';
import { checks, form } from './forms.js';
import { sessionEnd } from './session.js';

export async function tokensPage(ctx) {
  ctx.crumbs(['#/', 'Organisations'], 'Your tokens');
  const list = h('div', { id: 'tokens' });
  const shown = h('div', { id: 'new-token' });

  const draw = async () => {
    const { tokens } = await get('/tokens');
    replace(list, table([
      ['Name', (t) => h('strong', {}, t.name)],
      ['Created', (t) => time(t.created)],
      ['Expires', (t) => (t.expires ? time(t.expires) : h('span', { class: 'muted' }, 'never'))],
      ['State', (t) => (t.revoked ? h('span', { class: 'state state-failed' }, 'revoked')
        : t.expires && t.expires * 1000 < Date.now() ? h('span', { class: 'state state-none' }, 'expired')
          : h('span', { class: 'state state-confirmed' }, t.current ? 'in use by this page' : 'valid'))],
      ['', (t) => (t.revoked ? '' : confirmAction('Revoke',
        t.current ? 'Revoke the token this page uses? You will be signed out.' : `Revoke ${t.name}? Whatever uses it is refused from then on.`,
        async () => {
          await del(`/tokens/${t.id}`);
          if (t.current) { sessionEnd('You revoked the token of your session.'); location.hash = '#/login'; return; }
          await draw();
        }, `revoke-${t.id}`))],
    ], [...tokens].reverse().map((t) => ({ ...t, _class: t.revoked ? 'revoked' : null })), 'No tokens.'));
  };
  await draw();

  add(ctx.main, h('h1', {}, 'Your tokens'),
    h('p', { class: 'hint' }, 'Sign-in sessions and API tokens of your account. Orbit keeps only a hash of each: a token is shown once, when it is made.'),
    section('Tokens', list),
    section('Make an API token',
      form({
        id: 'new-api-token',
        change: false,
        submit: 'Make token',
        intro: 'An API token does not expire; scripts send it as a bearer token (kos orbit --token-file, $KOS_ORBIT_TOKEN).',
        fields: [{ name: 'name', label: 'Name', placeholder: 'release-script', check: [checks.name] }],
        errorField: () => 'name',
        onSubmit: async ({ name }) => {
          const t = await post('/tokens', { name });
          replace(shown, h('div', { class: 'notice' },
            h('p', {}, `API token ${t.name}: copy it now, it is not shown again.`),
            h('p', {}, code(t.token))));
          shown.querySelector('code').classList.add('token');
          await draw();
        },
      }), shown));
}
