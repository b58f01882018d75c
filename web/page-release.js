// SPDX-License-Identifier: Apache-2.0
// A release: what was uploaded and who signed it, the manifest's graph (drawn by the
// server with Graphviz) and its tables (apps, protocol connections per message server
// instance, supervision, key-store grants, components), and attaching it. Also the
// comparison of two manifests that the device page shows.

import { del, get, getBlob, post } from './api.js';
import { add, code, confirmAction, digest, facts, h, link, plural, replace, section, show, table, time } from './dom.js';
import { checks, form } from './forms.js';
import { orgOf, roleNote } from './page-org.js';

function connections(content) {
  const rows = [];
  for (const [instance, protocols] of Object.entries(content.msg_servers || {}))
    for (const [protocol, rule] of Object.entries(protocols))
      rows.push({ instance, protocol, publish: rule.publish || [], lookup: rule.lookup || [] });
  return rows;
}

export function manifestTables(content) {
  const supervision = Object.entries(content.supervision || {}).map(([app, deps]) => ({ app, deps }));
  const keys = Object.entries(content.key_store || {}).map(([name, k]) => ({ name, ...k }));
  return [
    h('h3', {}, 'Apps'),
    table([
      ['App', (a) => h('strong', {}, a.name)],
      ['Program', (a) => (a.image ? h('span', {}, 'image ', digest(a.image)) : code(a.path || '—'))],
      ['Arguments', (a) => show(a.args)],
      ['Message servers', (a) => show(a.msg_servers)],
      ['Restart', (a) => a.restart],
      ['Ready', (a) => a.ready],
    ], content.apps || [], 'No apps.'),
    h('h3', {}, 'Protocol connections per message server instance'),
    table([
      ['Instance', (c) => c.instance],
      ['Protocol', (c) => h('strong', {}, c.protocol)],
      ['Published by', (c) => show(c.publish)],
      ['Looked up by', (c) => show(c.lookup)],
    ], connections(content), 'No protocols.'),
    h('h3', {}, 'Supervision'),
    table([
      ['When this app fails', (s) => h('strong', {}, s.app)],
      ['these restart with it', (s) => show(s.deps)],
    ], supervision, 'No supervision chains: each app restarts alone.'),
    h('h3', {}, 'Key-store grants'),
    table([
      ['Key', (k) => h('strong', {}, k.name)],
      ['Type', (k) => k.type],
      ['Apps that may use it', (k) => show(k.apps)],
    ], keys, 'No keys.'),
    h('h3', {}, 'Components and boot'),
    table([
      ['Component', (c) => c.name],
      ['Format', (c) => c.format || '—'],
      ['Digest', (c) => digest(c.sha256)],
    ], content.components || [], 'No filesystem components.'),
    content.boot ? facts([['Kernel', digest(content.boot.kernel)], ['Initrd', digest(content.boot.initrd)], ['Command line', code(content.boot.cmdline || '')]]) : null,
  ];
}

// A manifest as "section / item / field" → text, for comparing two of them.
function flatten(content) {
  const out = new Map();
  if (!content) return out;
  const put = (key, v) => out.set(key, show(v));
  put('version', content.version);
  put('description', content.description);
  put('persistent boot', content.persistent_boot);
  for (const [k, v] of Object.entries(content.boot || {})) put(`boot / ${k}`, v);
  for (const c of content.components || []) for (const [k, v] of Object.entries(c)) if (k !== 'name') put(`component ${c.name} / ${k}`, v);
  for (const a of content.apps || []) for (const [k, v] of Object.entries(a)) if (k !== 'name') put(`app ${a.name} / ${k}`, v);
  for (const [app, deps] of Object.entries(content.supervision || {})) put(`supervision / ${app}`, deps);
  for (const c of connections(content)) {
    put(`${c.instance} / ${c.protocol} / publish`, c.publish);
    put(`${c.instance} / ${c.protocol} / lookup`, c.lookup);
  }
  for (const [k, v] of Object.entries(content.key_store || {})) put(`key ${k}`, v);
  return out;
}

// Two manifests side by side, one row per item, the rows that differ marked.
export function manifestDiff(left, right, leftTitle, rightTitle) {
  const a = flatten(left);
  const b = flatten(right);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const rows = keys.map((key) => {
    const x = a.has(key) ? a.get(key) : null;
    const y = b.has(key) ? b.get(key) : null;
    const kind = x === y ? 'same' : x === null ? 'added' : y === null ? 'removed' : 'changed';
    return { key, x, y, kind, _class: kind === 'same' ? null : `diff diff-${kind}` };
  });
  const differ = rows.filter((r) => r.kind !== 'same');
  const same = rows.filter((r) => r.kind === 'same');
  const absent = (side) => h('span', { class: 'muted' }, side ? 'absent' : 'not available');
  const columns = [
    ['', (r) => (r.kind === 'same' ? '=' : h('span', { class: 'diff-mark', title: r.kind }, '≠'))],
    ['Item', (r) => r.key],
    [leftTitle, (r) => (r.x === null ? absent(left) : r.x)],
    [rightTitle, (r) => (r.y === null ? absent(right) : r.y)],
  ];
  return h('div', { class: 'manifest-diff' },
    h('p', { class: differ.length ? 'notice' : 'hint', id: 'diff-summary' },
      !left || !right ? 'Only one of the two manifests is available.'
        : differ.length ? `${differ.length} item${differ.length > 1 ? 's differ' : ' differs'} (marked ≠).`
          : 'The device runs exactly the release\'s manifest.'),
    differ.length ? table(columns, differ) : null,
    same.length ? h('details', { class: 'same-items' }, h('summary', {}, `${same.length} identical items`), table(columns, same)) : null);
}

export async function releasePage(ctx, orgId, releaseId) {
  const org = await orgOf(ctx, orgId);
  const release = await get(`/orgs/${orgId}/releases/${releaseId}`);
  const [project, keys, deployments] = await Promise.all([
    get(`/orgs/${orgId}/projects/${release.project}`), get(`/orgs/${orgId}/projects/${release.project}/keys`),
    get(`/orgs/${orgId}/projects/${release.project}/deployments`)]);
  ctx.crumbs(['#/', 'Organisations'], [ctx.base, org.name], [`${ctx.base}/projects/${project.id}`, project.name], `release ${release.id}`);
  const content = release.manifest_content;
  const attachedTo = deployments.deployments.filter((d) => d.target === release.id);

  const graph = h('div', { class: 'graph', id: 'graph' }, h('p', { class: 'loading' }, 'Drawing the graph…'));
  add(ctx.main, h('h1', {}, `Release ${release.id}: ${release.description || 'no description'}`), roleNote(ctx),
    section('Release',
      facts([
        ['Version', String(release.version)],
        ['Project', link(`${ctx.base}/projects/${project.id}`, project.name)],
        ['Uploaded', time(release.created)],
        ['Upload', h('span', { class: 'state state-confirmed' }, 'complete')],
        ['Manifest', h('code', { class: 'digest' }, release.manifest)],
        ['Signature file', h('code', { class: 'digest' }, release.signatures)],
        ['Signature', 'verified by Orbit against the project\'s trusted keys before the release was made'],
        ['Signed by', release.signed_by ? h('span', { id: 'signed-by' }, 'trusted key ', h('code', { class: 'digest', title: release.signed_by }, release.signed_by),
          keys.keys.some((k) => k.key_id === release.signed_by) ? '' : h('span', { class: 'muted' }, ' (no longer among the project\'s keys)'))
          : h('span', { class: 'muted' }, 'not recorded (uploaded before Orbit recorded it): one of the trusted keys below')],
        ['Trusted keys', keys.keys.length ? h('span', {}, keys.keys.map((k) => h('code', { class: 'digest', title: k.key_id }, k.key_id.slice(0, 16)))) : 'none'],
        ['Objects', `the manifest, its signature file and ${plural((content.objects || []).length, 'object')} it references, each checked against its digest`],
        ['Attached to', attachedTo.length ? h('span', {}, attachedTo.map((d) => link(`${ctx.base}/deployments/${d.id}`, d.name))) : h('span', { class: 'muted' }, 'no deployment')],
      ])),
    section('Graph', h('p', { class: 'hint' }, 'Apps in start order, the message server instances they reach, who publishes and who looks up which protocol, and which apps restart with which (supervision). Key-store grants are in the tables below.'), graph),
    section('Manifest', ...manifestTables(content)),
    ctx.owner ? section('Attach to a deployment',
      form({
        id: 'attach-release',
        submit: 'Attach',
        fields: [
          { name: 'deployment', label: 'Deployment', type: 'select',
            options: [['', 'choose a deployment'], ...deployments.deployments.map((d) => [String(d.id), d.name])],
            check: [(v) => (v ? null : 'Choose the deployment.')] },
          { name: 'phases', label: 'Phases (optional)', placeholder: '5%,25%,100%', check: [checks.phases] },
          { name: 'success', label: 'Success threshold, % (optional)', placeholder: '100', check: [checks.percent] },
        ],
        onSubmit: async ({ deployment, phases, success }) => {
          const body = { release: release.id };
          if (phases.trim()) body.phases = phases.trim();
          if (success.trim()) body.success = Number(success);
          await post(`/orgs/${orgId}/deployments/${deployment}/attach`, body);
          location.hash = `${ctx.base}/deployments/${deployment}`;
        },
      })) : null,
    ctx.owner ? section('Delete the release',
      h('p', { class: 'hint' }, 'Only a release no deployment targets can be deleted; the devices\' progress on it goes with it, its objects stay uploaded.'),
      confirmAction('Delete release', `Delete release ${release.id}?`, async () => {
        await del(`/orgs/${orgId}/releases/${release.id}`);
        location.hash = `${ctx.base}/projects/${project.id}`;
      }, 'delete-release')) : null);

  try {
    const svg = await getBlob(`/orgs/${orgId}/releases/${releaseId}/graph.svg`);
    const url = URL.createObjectURL(svg);
    replace(graph, h('img', { src: url, alt: `The manifest graph of release ${release.id}`, id: 'graph-image' }),
      h('p', { class: 'hint' }, h('a', { href: url, target: '_blank', rel: 'noopener' }, 'Open the graph on its own')));
  } catch (e) {
    replace(graph, h('p', { class: 'form-error', role: 'alert' }, `The graph could not be drawn: ${e.message}.`));
  }
}
