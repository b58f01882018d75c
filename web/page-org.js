// SPDX-License-Identifier: Apache-2.0
// Sign-in, the signed-in user's organisations, and one organisation: its projects, its
// members and roles, its devices and its audit log.

import { del, get, post } from './api.js';
import { add, ago, confirmAction, h, link, plural, section, state, table, time } from './dom.js';
import { checks, form } from './forms.js';
import { lastEmail, sessionNotice, sessionStart } from './session.js';

// The organisation a page is about, with the caller's role in it; ctx.owner says whether
// the page may show controls that change anything.
export async function orgOf(ctx, orgId) {
  const org = await get(`/orgs/${orgId}`);
  ctx.org = org;
  ctx.owner = org.role === 'owner';
  ctx.base = `#/orgs/${org.id}`;
  return org;
}

export function roleNote(ctx) {
  return ctx.owner ? null : h('p', { class: 'notice role-note' },
    `Your role in ${ctx.org.name} is "${ctx.org.role}": you see everything in it and change nothing.`);
}

export async function loginPage(ctx) {
  const notice = sessionNotice();
  const last = lastEmail();
  ctx.crumbs('Sign in');
  add(ctx.main, h('section', { class: 'card narrow' },
    h('h1', {}, 'Sign in to Orbit'),
    notice ? h('p', { class: 'notice', role: 'status', id: 'session-notice' }, notice) : null,
    form({
      id: 'login',
      change: false,
      submit: 'Sign in',
      fields: [
        { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', check: [checks.email], value: last || undefined },
        { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', check: [checks.required] },
      ],
      errorField: (e) => (e.status === 401 ? 'password' : null),
      onSubmit: async ({ email, password }) => {
        const answer = await post('/login', { email: email.trim(), password });
        sessionStart(answer.token, answer.expires, email.trim());
        const next = ctx.query.get('next');
        location.hash = next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/';
      },
    })));
  ctx.main.querySelector(last ? '#login-password' : '#login-email').focus();
}

export async function orgsPage(ctx) {
  ctx.crumbs('Organisations');
  const me = await get('/me');
  add(ctx.main, h('h1', {}, 'Your organisations'),
    section('Organisations',
      h('p', {}, `Signed in as ${me.email}.`),
      table([
        ['Organisation', (o) => link(`#/orgs/${o.id}`, o.name)],
        ['Your role', (o) => h('span', { class: `role role-${o.role}` }, o.role)],
      ], me.orgs, 'You are not a member of any organisation yet: an owner can add you.')));
}

export async function orgPage(ctx, orgId) {
  const org = await orgOf(ctx, orgId);
  ctx.crumbs(['#/', 'Organisations'], org.name);
  const [projects, members, devices] = await Promise.all([
    get(`/orgs/${orgId}/projects`), get(`/orgs/${orgId}/members`), get(`/orgs/${orgId}/devices`)]);
  const deployments = Object.fromEntries((await Promise.all(projects.projects.map((p) =>
    get(`/orgs/${orgId}/projects/${p.id}/deployments`)))).flatMap((x) => x.deployments).map((d) => [d.id, d.name]));

  const projectSection = section('Projects',
    table([
      ['Project', (p) => link(`${ctx.base}/projects/${p.id}`, p.name)],
      ['Created', (p) => time(p.created)],
    ], projects.projects, 'No projects yet.'),
    ctx.owner ? form({
      id: 'new-project',
      submit: 'Create project',
      fields: [{ name: 'name', label: 'New project', placeholder: 'weather-stations', check: [checks.name] }],
      errorField: () => 'name',
      onSubmit: async ({ name }) => {
        const p = await post(`/orgs/${orgId}/projects`, { name });
        location.hash = `${ctx.base}/projects/${p.id}`;
      },
    }) : null);

  const memberSection = section('Members',
    table([
      ['Email', (m) => m.email],
      ['Role', (m) => h('span', { class: `role role-${m.role}` }, m.role)],
      ...(ctx.owner ? [['', (m) => confirmAction('Remove', `Remove ${m.email} from ${org.name}?`, async () => {
        await del(`/orgs/${orgId}/members/${m.user}`);
        await ctx.rerender();
      }, `remove-member-${m.user}`)]] : []),
    ], members.members),
    ctx.owner ? form({
      id: 'member',
      submit: 'Add or change',
      intro: 'Add a user who has an Orbit account to this organisation, or change a member\'s role.',
      fields: [
        { name: 'email', label: 'Email', type: 'email', check: [checks.email] },
        { name: 'role', label: 'Role', type: 'select', options: [['user', 'user: sees everything, changes nothing'], ['owner', 'owner: may change anything']] },
      ],
      errorField: (e) => (e.status === 404 ? 'email' : null),
      onSubmit: async ({ email, role }) => {
        await post(`/orgs/${orgId}/members`, { email: email.trim(), role });
        await ctx.rerender();
      },
    }) : null);

  const deviceSection = section('Devices',
    table([
      ['Device', (d) => link(`${ctx.base}/devices/${d.id}`, d.name)],
      ['Deployment', (d) => link(`${ctx.base}/deployments/${d.deployment}`, deployments[d.deployment] || `deployment ${d.deployment}`)],
      ['Progress', (d) => state(d.state)],
      ['Last seen', (d) => ago(d.last_seen)],
    ], devices.devices, 'No devices yet: register one in a deployment.'));

  let auditSection;
  if (ctx.owner) {
    const audit = await get(`/orgs/${orgId}/audit`);
    const emails = Object.fromEntries(members.members.map((m) => [m.user, m.email]));
    auditSection = section('Audit log',
      table([
        ['When', (a) => time(a.at)],
        ['Who', (a) => (a.user ? emails[a.user] || `user ${a.user}` : 'a device or the server')],
        ['What', (a) => h('code', { class: 'nowrap' }, a.action)],
        ['Detail', (a) => a.detail],
      ], audit.audit.slice(0, 200), 'Nothing has changed yet.'));
  } else {
    auditSection = section('Audit log', h('p', { class: 'muted' }, 'The audit log is for owners.'));
  }

  add(ctx.main, h('h1', {}, org.name),
    roleNote(ctx) || h('p', { class: 'hint' }, `Your role: ${org.role}. ${plural(projects.projects.length, 'project')}, ${plural(devices.devices.length, 'device')}.`),
    h('div', { class: 'grid' }, projectSection, memberSection), deviceSection, auditSection);
}

