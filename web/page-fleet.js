// SPDX-License-Identifier: Apache-2.0
// A project (deployments, releases, trusted keys), a deployment (its devices, the release
// attached to it, the rollout's progress per state and per phase) and a device (its state,
// history, running manifest against its release's, and tracing).

import { del, get, getBlob, post } from './api.js';
import {
  action, add, ago, code, confirmAction, digest, facts, h, link, notReported, replace, section, state, table, time,
} from './dom.js';
import { checks, form } from './forms.js';
import { orgOf, roleNote } from './page-org.js';
import { manifestDiff } from './page-release.js';

const STATES = ['assigned', 'downloading', 'installed', 'booted', 'confirmed', 'failed'];

export async function projectPage(ctx, orgId, projectId) {
  const org = await orgOf(ctx, orgId);
  const [project, deployments, releases, keys] = await Promise.all([
    get(`/orgs/${orgId}/projects/${projectId}`), get(`/orgs/${orgId}/projects/${projectId}/deployments`),
    get(`/orgs/${orgId}/projects/${projectId}/releases`), get(`/orgs/${orgId}/projects/${projectId}/keys`)]);
  ctx.crumbs(['#/', 'Organisations'], [ctx.base, org.name], project.name);
  const releaseName = (id) => {
    const r = releases.releases.find((x) => x.id === id);
    return r ? `release ${r.id} (version ${r.version})` : `release ${id}`;
  };

  add(ctx.main, h('h1', {}, project.name), roleNote(ctx),
    section('Deployments',
      table([
        ['Deployment', (d) => link(`${ctx.base}/deployments/${d.id}`, d.name)],
        ['Target', (d) => (d.target ? link(`${ctx.base}/releases/${d.target}`, releaseName(d.target)) : h('span', { class: 'muted' }, 'none attached'))],
      ], deployments.deployments, 'No deployments yet.'),
      ctx.owner ? form({
        id: 'new-deployment',
        submit: 'Create deployment',
        fields: [{ name: 'name', label: 'New deployment', placeholder: 'production', check: [checks.name] }],
        errorField: () => 'name',
        onSubmit: async ({ name }) => {
          const d = await post(`/orgs/${orgId}/projects/${projectId}/deployments`, { name });
          location.hash = `${ctx.base}/deployments/${d.id}`;
        },
      }) : null),
    section('Releases',
      table([
        ['Release', (r) => link(`${ctx.base}/releases/${r.id}`, `release ${r.id}`)],
        ['Version', (r) => String(r.version)],
        ['Description', (r) => r.description || '—'],
        ['Manifest', (r) => digest(r.manifest)],
        ['Uploaded', (r) => time(r.created)],
      ], releases.releases, 'No releases yet.'),
      h('p', { class: 'hint' }, 'Releases are uploaded with ',
        code(`kos release upload --orbit ${location.origin} --project ${projectId}${org.id !== 1 ? ` --org ${org.id}` : ''} MANIFEST.dtb OBJECT…`),
        ': it sends only the objects Orbit lacks, then the signed manifest.')),
    section('Trusted keys',
      h('p', { class: 'hint' }, 'A release is accepted only when one of these keys signed its manifest.'),
      table([
        ['Key id', (k) => h('code', { class: 'digest' }, k.key_id)],
      ], keys.keys, 'No trusted keys yet: no release can be uploaded.'),
      ctx.owner ? form({
        id: 'new-key',
        submit: 'Trust key',
        fields: [{ name: 'public_key', label: 'Release signing key (public, PEM)', type: 'textarea', check: [checks.publicKey],
          placeholder: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----' }],
        errorField: () => 'public_key',
        onSubmit: async ({ public_key }) => {
          await post(`/orgs/${orgId}/projects/${projectId}/keys`, { public_key: public_key.trim() + '\n' });
          await ctx.rerender();
        },
      }) : null));
}

function counts(devices) {
  const c = Object.fromEntries([...STATES, 'not started'].map((s) => [s, 0]));
  for (const d of devices) c[d.state || 'not started'] += 1;
  return c;
}

// A phase's states as the API gives them ("none": no progress on the target yet).
function phaseCounts(states) {
  const c = Object.fromEntries([...STATES, 'not started'].map((s) => [s, 0]));
  for (const [s, n] of Object.entries(states || {})) c[s === 'none' ? 'not started' : s] = n;
  return c;
}

// The counts as a row of states; nonZero: only the states some device is in.
function countRow(c, nonZero = false) {
  return h('ul', { class: 'counts' }, Object.entries(c).filter(([, n]) => n || !nonZero).map(([s, n]) =>
    h('li', { class: n ? '' : 'zero' }, state(s === 'not started' ? null : s), h('strong', {}, String(n)))));
}

export async function deploymentPage(ctx, orgId, deploymentId) {
  const org = await orgOf(ctx, orgId);
  let d = await get(`/orgs/${orgId}/deployments/${deploymentId}`);
  const [project, releases] = await Promise.all([
    get(`/orgs/${orgId}/projects/${d.project}`), get(`/orgs/${orgId}/projects/${d.project}/releases`)]);
  ctx.crumbs(['#/', 'Organisations'], [ctx.base, org.name], [`${ctx.base}/projects/${project.id}`, project.name], d.name);

  const live = h('div', { id: 'live' });
  const draw = () => {
    const target = releases.releases.find((r) => r.id === d.target);
    const rollout = d.rollout;
    /* per phase, as the server's rollout counts them */
    const perPhase = rollout && rollout.per_phase ? rollout.per_phase : [];
    const failed = d.devices.filter((x) => x.state === 'failed').length;
    replace(live,
      section('Target',
        facts([
          ['Release', target ? link(`${ctx.base}/releases/${target.id}`, `release ${target.id}, version ${target.version}: ${target.description || ''}`)
            : d.target ? `release ${d.target}` : h('span', { class: 'muted' }, 'none attached')],
          ['Rollout', rollout ? h('span', {}, state(rollout.state), ` phase ${rollout.phase + 1} of ${rollout.phases.split(',').length} (${rollout.phases})`)
            : d.target ? 'all devices at once' : '—'],
        ]),
        rollout && ctx.owner && rollout.state !== 'done' && rollout.state !== 'aborted' ? h('p', { class: 'actions' },
          rollout.state === 'running' ? action('Pause rollout', () => rolloutAction('pause')) : action('Resume rollout', () => rolloutAction('resume')),
          ' ', action('Abort rollout', () => rolloutAction('abort'), 'danger')) : null),
      section('Progress',
        h('p', { class: 'hint' }, 'Devices per state on the target release; the page follows changes as they come.'),
        countRow(counts(d.devices)),
        perPhase.length ? table([
          ['Phase', (p) => `${p.phase}${rollout.phase + 1 === p.phase ? ' (current)' : ''}`],
          ['Devices', (p) => (p.devices ? `${p.first}–${p.last}` : 'none')],
          ['States', (p) => (p.devices ? countRow(phaseCounts(p.states), true) : h('span', { class: 'muted' }, 'no devices'))],
        ], perPhase) : null,
        ctx.owner && failed ? h('p', { class: 'actions' }, action(`Retry all failed devices (${failed})`, async () => {
          try { await post(`/orgs/${orgId}/deployments/${deploymentId}/retry`); await refresh(); } catch (e) { alertIn(live, e); }
        })) : null),
      section('Devices',
        table([
          ['Device', (x) => link(`${ctx.base}/devices/${x.id}`, x.name)],
          ['Progress', (x) => h('span', { class: 'device-state', dataset: { device: x.name } }, state(x.state))],
          ['Reason', (x) => x.reason || '—'],
          ['Last seen', (x) => ago(x.last_seen)],
          ['Online', (x) => (x.online === undefined ? notReported() : x.online ? 'online' : 'offline')],
          ['Accepted', (x) => (x.accepted ? 'yes' : ctx.owner ? action('Accept', () => deviceAction(x.id, 'accept')) : 'awaits an owner')],
          ...(ctx.owner ? [['', (x) => (x.state === 'failed' ? action('Retry', () => deviceAction(x.id, 'retry')) : '')]] : []),
        ], d.devices, 'No devices in this deployment yet.')));
  };
  const refresh = async () => { d = await get(`/orgs/${orgId}/deployments/${deploymentId}`); if (ctx.current()) draw(); };
  const rolloutAction = async (a) => {
    try { await post(`/orgs/${orgId}/deployments/${deploymentId}/rollout`, { action: a }); await refresh(); } catch (e) { alertIn(live, e); }
  };
  const deviceAction = async (id, a) => {
    try { await post(`/orgs/${orgId}/devices/${id}/${a}`); await refresh(); } catch (e) { alertIn(live, e); }
  };
  draw();

  let controls = null;
  if (ctx.owner) {
    const tokenOut = h('div', { id: 'enrolment-token' });
    controls = h('div', { class: 'grid' },
      section('Attach a release',
        form({
          id: 'attach',
          submit: 'Attach',
          intro: 'The release becomes the deployment\'s target: connected devices hear of it within a second, the others when they next check in.',
          fields: [
            { name: 'release', label: 'Release', type: 'select',
              options: [['', 'choose a release'], ...releases.releases.map((r) => [String(r.id), `release ${r.id}, version ${r.version}${r.description ? `: ${r.description}` : ''}`])],
              check: [(v) => (v ? null : 'Choose the release to attach.')] },
            { name: 'phases', label: 'Phases (optional)', placeholder: '5%,25%,100%', check: [checks.phases],
              hint: 'Cumulative sizes; the next phase starts when enough devices of the current one confirmed their boot.' },
            { name: 'success', label: 'Success threshold, % (optional)', placeholder: '100', check: [checks.percent] },
          ],
          onSubmit: async ({ release, phases, success }) => {
            const body = { release: Number(release) };
            if (phases.trim()) body.phases = phases.trim();
            if (success.trim()) body.success = Number(success);
            await post(`/orgs/${orgId}/deployments/${deploymentId}/attach`, body);
            await refresh();
            return `Release ${release} attached.`;
          },
        })),
      section('Add a device',
        form({
          id: 'register',
          submit: 'Register device',
          intro: 'Register a device by its public key (kos key generate writes one): it may use the device API at once.',
          fields: [
            { name: 'name', label: 'Device name', placeholder: 'station-1', check: [checks.name] },
            { name: 'public_key', label: 'Device public key (PEM)', type: 'textarea', check: [checks.publicKey],
              placeholder: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----' },
          ],
          errorField: (e) => (e.status === 409 ? 'public_key' : null),
          onSubmit: async ({ name, public_key }) => {
            await post(`/orgs/${orgId}/devices`, { name, public_key: public_key.trim() + '\n', deployment: deploymentId });
            await refresh();
            return `Device ${name} registered.`;
          },
        }),
        h('p', { class: 'hint' }, 'Or let devices ask to join with an enrolment token, and accept them here.'),
        h('p', {}, action('Make an enrolment token', async () => {
          try {
            const t = await post(`/orgs/${orgId}/deployments/${deploymentId}/enrolment-tokens`, {});
            replace(tokenOut, h('p', {}, 'Enrolment token (shown once): ', h('code', { class: 'token' }, t.token), ', valid until ', time(t.expires), '.'));
          } catch (e) { alertIn(tokenOut, e); }
        })), tokenOut));
  }
  const remove = ctx.owner ? section('Delete the deployment',
    h('p', { class: 'hint' }, 'Only an empty deployment can be deleted: move or delete its devices first. Its enrolment tokens go with it.'),
    confirmAction('Delete deployment', `Delete deployment ${d.name}?`, async () => {
      await del(`/orgs/${orgId}/deployments/${deploymentId}`);
      location.hash = `${ctx.base}/projects/${project.id}`;
    }, 'delete-deployment')) : null;
  add(ctx.main, h('h1', {}, `Deployment ${d.name}`), roleNote(ctx), live, controls, remove);
  ctx.every(1000, refresh);
}

function alertIn(el, e) {
  el.prepend(h('p', { class: 'form-error', role: 'alert' }, `Orbit refused this: ${e.message}.`));
}

function releaseOfManifest(releases, manifest) {
  return releases.find((r) => r.manifest === manifest);
}

export async function devicePage(ctx, orgId, deviceId) {
  const org = await orgOf(ctx, orgId);
  let device = await get(`/orgs/${orgId}/devices/${deviceId}`);
  let deployment = await get(`/orgs/${orgId}/deployments/${device.deployment}`);
  let releases;
  const [project, releaseList, projects] = await Promise.all([
    get(`/orgs/${orgId}/projects/${deployment.project}`), get(`/orgs/${orgId}/projects/${deployment.project}/releases`),
    get(`/orgs/${orgId}/projects`)]);
  releases = releaseList;
  ctx.crumbs(['#/', 'Organisations'], [ctx.base, org.name], [`${ctx.base}/projects/${project.id}`, project.name],
    [`${ctx.base}/deployments/${deployment.id}`, deployment.name], device.name);

  const live = h('div', { id: 'live' });
  const manifestBox = h('div', { id: 'manifest' });
  const traceBox = h('div', { id: 'traces' });
  const traceErrors = new Map();
  let shownManifest = null;

  const draw = async () => {
    const reports = await get(`/orgs/${orgId}/devices/${deviceId}/reports`);
    const running = releaseOfManifest(releases.releases, device.manifest);
    replace(live,
      section('State',
        facts([
          ['Online', device.online === undefined ? notReported() : device.online ? 'online' : 'offline'],
          ['Last seen', device.last_seen ? h('span', {}, ago(device.last_seen), ' (', time(device.last_seen), ')') : h('span', { class: 'muted' }, 'never checked in')],
          ['Running manifest', device.manifest ? digest(device.manifest) : notReported()],
          ['Running release', running ? link(`${ctx.base}/releases/${running.id}`, `release ${running.id}, version ${running.version}`)
            : device.manifest ? 'a manifest that is no release of this project' : notReported()],
          ['Target', deployment.target ? link(`${ctx.base}/releases/${deployment.target}`, `release ${deployment.target}`)
            : h('span', { class: 'muted' }, 'none attached to its deployment')],
          ['Progress on the target', h('span', { id: 'device-progress' }, state(device.state), device.reason ? ` (${device.reason})` : '')],
          ['Key id', h('code', { class: 'digest' }, device.key_id)],
          ['Accepted', device.accepted ? 'yes' : 'no: awaits an owner'],
        ]),
        ctx.owner && device.state === 'failed' ? h('p', {}, action('Retry the release', async () => {
          try { await post(`/orgs/${orgId}/devices/${deviceId}/retry`); await refresh(); } catch (e) { alertIn(live, e); }
        })) : null),
      h('div', { class: 'grid' },
        section('Generations',
          Array.isArray(device.generations) ? table([
            ['Generation', (g) => String(g.generation)],
            ['Manifest', (g) => digest(g.manifest)],
            ['State', (g) => state(g.state)],
          ], device.generations, 'None reported.') : h('p', {}, notReported())),
        section('Apps',
          Array.isArray(device.apps) ? table([
            ['App', (a) => a.name],
            ['State', (a) => state(a.state)],
            ['Restarts', (a) => String(a.restarts ?? '—')],
          ], device.apps, 'None reported.') : h('p', {}, notReported()))),
      section('History',
        table([
          ['When', (r) => time(r.at)],
          ['Release', (r) => link(`${ctx.base}/releases/${r.release}`, `release ${r.release}`)],
          ['Outcome', (r) => state(r.state)],
          ['Reason', (r) => r.reason || '—'],
        ], [...reports.reports].reverse(), 'No progress reported yet.')));
    if (shownManifest !== `${device.manifest} ${deployment.target}`) {
      shownManifest = `${device.manifest} ${deployment.target}`;
      await drawManifest();
    }
  };

  const drawManifest = async () => {
    if (deployment.target && !releases.releases.some((r) => r.id === deployment.target))
      releases = await get(`/orgs/${orgId}/projects/${deployment.project}/releases`); /* uploaded since */
    const target = releases.releases.find((r) => r.id === deployment.target);
    let runningContent = null;
    let note = null;
    try {
      runningContent = (await get(`/orgs/${orgId}/devices/${deviceId}/manifest`)).manifest_content;
    } catch (e) {
      if (e.status !== 404) throw e;
      note = 'The device has not uploaded its running manifest yet (it does when Orbit asks at a check-in).';
    }
    const releaseContent = target ? (await get(`/orgs/${orgId}/releases/${target.id}`)).manifest_content : null;
    replace(manifestBox, section('Running manifest and release manifest',
      note ? h('p', { class: 'muted' }, note) : null,
      !target ? h('p', { class: 'muted' }, 'No release is attached to the device\'s deployment.') : null,
      runningContent || releaseContent ? manifestDiff(runningContent, releaseContent,
        'Running', target ? `Release ${target.id}` : 'Release') : null));
  };

  const drawTraces = async () => {
    const [commands, traces] = await Promise.all([
      get(`/orgs/${orgId}/devices/${deviceId}/commands`), get(`/orgs/${orgId}/devices/${deviceId}/traces`)]);
    replace(traceBox,
      table([
        ['Command', (c) => c.command],
        ['App', (c) => c.app],
        ['State', (c) => state(c.state)],
        ['Reason', (c) => c.reason || '—'],
        ['Queued', (c) => time(Number(c.created))],
      ], [...commands.commands].reverse(), 'No tracing commands yet.'),
      h('h3', {}, 'Collected traces'),
      h('div', { id: 'trace-files' }, table([
        ['Trace', (t) => `trace ${t.id}`],
        ['Size', (t) => `${t.size} bytes`],
        ['Collected', (t) => time(t.created)],
        ['Download', (t) => h('span', { class: 'downloads' },
          h('button', { type: 'button', class: 'button quiet', dataset: { format: 'native' }, onclick: () => download(t, false) }, 'native'),
          h('button', { type: 'button', class: 'button quiet', dataset: { format: 'json' }, onclick: () => download(t, true) }, 'Perfetto JSON'),
          h('span', { class: 'form-error', role: 'alert', id: `trace-${t.id}-error`, hidden: !traceErrors.has(t.id) },
            traceErrors.get(t.id) || ''))],
      ], traces.traces, 'No traces collected yet.')),
      h('p', { class: 'hint' }, 'Native: the trace file the device uploaded (kos trace json and kos trace ctf read it). Perfetto JSON: the same converted by Orbit to the Chrome trace event format that ui.perfetto.dev and chrome://tracing open.'));
  };

  const download = async (t, json) => {
    let blob;
    try {
      blob = await getBlob(`/orgs/${orgId}/traces/${t.id}${json ? '/json' : ''}`);
    } catch (e) {
      /* kept across the page's refreshes, next to the trace's controls */
      traceErrors.set(t.id, `Orbit refused this: ${e.message}.`);
      const error = traceBox.querySelector(`#trace-${t.id}-error`);
      if (error) { error.textContent = traceErrors.get(t.id); error.hidden = false; }
      return;
    }
    traceErrors.delete(t.id);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `${device.name}-trace-${t.id}${json ? '.json' : '.kostrace'}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };

  const refresh = async () => {
    device = await get(`/orgs/${orgId}/devices/${deviceId}`);
    deployment = await get(`/orgs/${orgId}/deployments/${device.deployment}`);
    if (ctx.current()) { await draw(); await drawTraces(); }
  };

  await draw();
  await drawTraces();

  let controls = null;
  if (ctx.owner) {
    const deployments = (await Promise.all(projects.projects.map((p) => get(`/orgs/${orgId}/projects/${p.id}/deployments`))))
      .flatMap((x) => x.deployments);
    controls = h('div', { class: 'grid' },
      section('Trace an app',
        form({
          id: 'trace',
          submit: 'Queue command',
          intro: 'Commands reach the device at its next check-in (at once when it is long-polling).',
          fields: [
            { name: 'command', label: 'Command', type: 'select', options: [['trace-start', 'start tracing'], ['trace-stop', 'stop tracing'], ['trace-upload', 'upload the trace']] },
            { name: 'app', label: 'App', placeholder: 'hello-phx', check: [checks.appName] },
          ],
          onSubmit: async ({ command, app }) => {
            await post(`/orgs/${orgId}/devices/${deviceId}/commands`, { command, app });
            await drawTraces();
            return `${command} queued for ${app}.`;
          },
        })),
      section('Move the device',
        form({
          id: 'move',
          submit: 'Move',
          fields: [{ name: 'deployment', label: 'To deployment', type: 'select',
            options: deployments.map((x) => [String(x.id), `${x.name} (project ${x.project})`]), value: String(device.deployment) }],
          onSubmit: async ({ deployment: to }) => {
            await post(`/orgs/${orgId}/devices/${deviceId}/move`, { deployment: Number(to) });
            await ctx.rerender();
          },
        })));
  }
  const remove = ctx.owner ? section('Delete the device',
    h('p', { class: 'hint' }, 'Its progress, reports, commands and trace records go with it, and its key is refused from then on.'),
    confirmAction('Delete device', `Delete device ${device.name}?`, async () => {
      await del(`/orgs/${orgId}/devices/${deviceId}`);
      location.hash = `${ctx.base}/deployments/${device.deployment}`;
    }, 'delete-device')) : null;
  add(ctx.main, h('h1', {}, `Device ${device.name}`), roleNote(ctx), live, manifestBox,
    section('Tracing', traceBox), controls, remove);
  ctx.every(1500, refresh);
}

