/**
 * The repository-settings endpoints of the GitHub stand-in, as `coder-gitops doctor` reads them: the OIDC
 * subject template, deployment environments with their branch policies, and branch protection. Answers
 * have the shapes of GitHub's OpenAPI description (the conformance test checks them). Not modelled:
 * permissions of the token (every token is an administrator here), organization-level templates,
 * rulesets (only classic branch protection), wait timers.
 */
import { simpleUser } from './github-resources.js';

export interface StandInEnvironment {
  reviewers: string[];
  preventSelfReview: boolean;
  /** null: any branch may deploy. */
  branchPolicy: null | { protected_branches: boolean; custom_branch_policies: boolean };
  branchPolicies: { name: string; type: 'branch' | 'tag' }[];
}

export interface StandInSettings {
  oidcSub: { use_default: boolean; include_claim_keys?: string[] };
  environments: Record<string, StandInEnvironment>;
  /** branch → required status check names; absent: not protected. */
  protections: Record<string, { contexts: string[] }>;
}

/** GitHub's defaults for a new repository: default subject, no environments, nothing protected. */
export function defaultSettings(): StandInSettings {
  return { oidcSub: { use_default: true }, environments: {}, protections: {} };
}

const BASE = 'https://api.github.example';

type Send = (status: number, data: unknown) => void;

/** Serves a settings request; false when the path is not one of these endpoints. */
export function routeSettings(
  settings: StandInSettings,
  method: string,
  path: string,
  payload: Record<string, unknown>,
  send: Send,
): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^\/repos\/([^/]+)\/([^/]+)\/actions\/oidc\/customization\/sub$/.exec(path))) {
    if (method === 'GET') return (send(200, settings.oidcSub), true);
    if (method === 'PUT') {
      if (typeof payload.use_default !== 'boolean') {
        return (send(422, { message: 'use_default is required', documentation_url: `${BASE}/docs` }), true);
      }
      settings.oidcSub = payload.use_default
        ? { use_default: true }
        : {
            use_default: false,
            include_claim_keys: (payload.include_claim_keys as string[] | undefined) ?? [],
          };
      return (send(201, {}), true);
    }
  }
  if ((m = /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)(\/deployment-branch-policies)?$/.exec(path))) {
    const [, owner, repo, rawName, policies] = m;
    const name = decodeURIComponent(rawName!);
    const env = settings.environments[name];
    if (method !== 'GET') return false;
    if (!env) return (send(404, { message: 'Not Found', documentation_url: `${BASE}/docs` }), true);
    if (policies) {
      return (
        send(200, {
          total_count: env.branchPolicies.length,
          branch_policies: env.branchPolicies.map((p, i) => ({ id: i + 1, node_id: `DBP_${i + 1}`, ...p })),
        }),
        true
      );
    }
    const rules: Record<string, unknown>[] = [];
    if (env.reviewers.length) {
      rules.push({
        id: 1,
        node_id: 'GA_1',
        type: 'required_reviewers',
        prevent_self_review: env.preventSelfReview,
        reviewers: env.reviewers.map((login) => ({ type: 'User', reviewer: simpleUser(login) })),
      });
    }
    if (env.branchPolicy) rules.push({ id: 2, node_id: 'GA_2', type: 'branch_policy' });
    const stamp = '2026-11-01T00:00:00Z';
    return (
      send(200, {
        id: 42,
        node_id: 'EN_42',
        name,
        url: `${BASE}/repos/${owner}/${repo}/environments/${rawName}`,
        html_url: `https://github.example/${owner}/${repo}/deployments/activity_log?environments_filter=${rawName}`,
        created_at: stamp,
        updated_at: stamp,
        protection_rules: rules,
        deployment_branch_policy: env.branchPolicy,
      }),
      true
    );
  }
  if ((m = /^\/repos\/([^/]+)\/([^/]+)\/branches\/([^/]+)\/protection$/.exec(path)) && method === 'GET') {
    const [, owner, repo, branch] = m;
    const protection = settings.protections[decodeURIComponent(branch!)];
    if (!protection)
      return (send(404, { message: 'Branch not protected', documentation_url: `${BASE}/docs` }), true);
    const url = `${BASE}/repos/${owner}/${repo}/branches/${branch}/protection`;
    return (
      send(200, {
        url,
        required_status_checks: {
          url: `${url}/required_status_checks`,
          strict: true,
          contexts: protection.contexts,
          contexts_url: `${url}/required_status_checks/contexts`,
          checks: protection.contexts.map((context) => ({ context, app_id: 15368 })),
        },
      }),
      true
    );
  }
  return false;
}
