/** The jupiter-hvdc dialog's admin routes: profile validation, the alarm catalogue, the default profile. */
import type { NodeAPI } from 'node-red';
import { JUPITER_ALARMS } from './alarms';
import { defaultProfile, validateProfile } from './profile';

export function registerJupiterAdmin(RED: NodeAPI): void {
  // The dialog's profile import: validated by the same code the runtime uses.
  RED.httpAdmin.post('/jupiter-hvdc/profile/validate', RED.auth.needsPermission('jupiter-hvdc.read'), (req, res) => {
    const body: unknown = req.body;
    const r = validateProfile(typeof body === 'object' && body !== null && 'profile' in body ? (body as { profile: unknown }).profile : body);
    if (r.ok) res.json({ ok: true, profile: r.profile });
    else res.status(400).json({ ok: false, errors: r.errors });
  });

  // The alarm catalogue for the dialog's contact rows (one table, no copy in the editor).
  RED.httpAdmin.get('/jupiter-hvdc/catalogue', RED.auth.needsPermission('jupiter-hvdc.read'), (_req, res) => {
    res.json(
      JUPITER_ALARMS.filter((a) => a.signal.kind !== 'link').map((a) => ({
        id: a.id,
        text: a.text,
        manualClass: a.manualClass,
        severity: a.severity,
        alarmFlag: a.signal.kind === 'flag' ? a.signal.alarmFlag : undefined,
      })),
    );
  });

  // The built-in default profile for the dialog (export, reset).
  RED.httpAdmin.get('/jupiter-hvdc/profile/default', RED.auth.needsPermission('jupiter-hvdc.read'), (_req, res) => {
    res.json(defaultProfile());
  });
}
