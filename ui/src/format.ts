// Small display helpers for sessions and launches.

/** "3 s", "4 min", "2 h 5 min", "3 d" since `iso`, or "" when unknown. */
export function age(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return duration(Math.max(0, now - t));
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** Memory as the API gives it (bytes, or "4g") in GiB. */
export function memory(v: string): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  const gib = n / 2 ** 30;
  return gib >= 1 ? `${+gib.toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

/** "cpu 2 · mem 4 GiB · cuda.shares 0.5"; Backend.AI writes an unlimited amount "Infinity". */
export function resources(slots: Record<string, string>): string {
  return Object.entries(slots)
    .filter(([, v]) => v !== "0" && v !== "")
    .map(([k, v]) => `${k} ${unlimited(v) ? "no limit" : k === "mem" ? memory(v) : v}`)
    .join(" · ");
}

function unlimited(v: string): boolean {
  return v === "inf" || Number(v) === Infinity; // Number("Infinity") is Infinity
}

/** The image's last path part: "python:3.9-ubuntu20.04". */
export function shortImage(ref: string | null): string {
  if (!ref) return "";
  const i = ref.lastIndexOf("/");
  return i >= 0 ? ref.slice(i + 1) : ref;
}

/** How a session's status badge looks: the status text as is, a class from its phase. */
export interface StatusBadge {
  text: string;
  cls: string;
  title: string;
}

/** The badge for a session status. The text is always the server's own; the meaning comes
 * from the phase the core assigned, never from parsing the text. */
export function statusBadge(s: { status: string; phase: string; degraded: boolean }): StatusBadge {
  const text = s.status || "?";
  if (s.degraded) {
    return { text, cls: "status phase-running degraded", title: "Running, but the server reports a problem" };
  }
  switch (s.phase) {
    case "running":
      return { text, cls: "status phase-running", title: "Running" };
    case "transitional":
      return { text, cls: "status phase-transitional", title: "In progress: the session is not over" };
    case "ended":
      return { text, cls: "status phase-ended", title: "Ended" };
    default:
      return { text, cls: "status phase-unknown", title: "A status this launcher does not know, shown as the server sent it" };
  }
}

/** A launch step as a person reads it (the progress view never shows the raw phase name). */
export function phaseLabel(phase: string): string {
  switch (phase) {
    case "creating":
      return "Creating the session";
    case "starting":
      return "Waiting for it to start";
    case "picking_app":
      return "Choosing the app";
    case "opening_tunnel":
      return "Opening the private tunnel";
    case "probing":
      return "Waiting for the app to answer";
    case "ready":
      return "Ready";
    case "cancelling":
      return "Cancelling";
    case "cancelled":
      return "Cancelled";
    case "failed":
      return "Failed";
    default:
      // A step this launcher does not know yet: its words, without the underscores.
      return phase ? phase.charAt(0).toUpperCase() + phase.slice(1).replace(/_/g, " ") : "";
  }
}

/** A session's idle checkers as one line and a tooltip: "Ends in 9 min (no network
 * activity)"; null when the cluster reports no deadline. */
export function idleLine(
  checks: { label: string; remainingSecs: number | null; kind: string; resetBy: string }[],
): { text: string; title: string } | null {
  const due = checks.filter((c) => c.kind === "expire_after" && c.remainingSecs !== null);
  if (due.length === 0) return null;
  const first = due.reduce((a, b) => ((b.remainingSecs ?? 0) < (a.remainingSecs ?? 0) ? b : a));
  const left = first.remainingSecs ?? 0;
  const text = left <= 0 ? `Ending now (${first.label})` : `Ends in ${duration(left * 1000)} (${first.label})`;
  const why: Record<string, string> = {
    traffic: "use of its apps or Keep alive resets this",
    "real-use": "only real work in the session resets this",
    nothing: "nothing extends this",
  };
  const title = checks
    .map((c) => {
      const t = c.remainingSecs === null ? "no time reported" : `${duration(c.remainingSecs * 1000)} left`;
      return `${c.label}: ${t}; ${why[c.resetBy] ?? ""}`;
    })
    .join("\n");
  return { text, title };
}
