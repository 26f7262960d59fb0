import { readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { shownPath, walkTree } from './regular-files.js';
import { validateKustomizations } from './validate-kustomizations.js';
import { validateTemplateSafety } from './validate-template-safety.js';

/*
 * Everything under gitops/ on a pull request's branch is untrusted (README, "Threat model"). These
 * checks run before anything else reads the tree, kustomize included: a symbolic link makes the plan
 * read (and Flux apply) a file nobody reviewed, a remote kustomize path is fetched at build time, and a
 * CloudFormation transform runs account code at CreateChangeSet.
 */

/** One error per symbolic link (or socket, device, FIFO) under the gitops folder. */
export function findSymlinks(gitopsDir: string): ConfigurationError[] {
  const root = path.resolve(gitopsDir);
  const errors: ConfigurationError[] = [];
  walkTree(root, (abs, kind) => {
    if (kind === 'link') {
      let target = '?';
      try {
        target = readlinkSync(abs);
      } catch {
        // an unreadable link is still a link
      }
      errors.push(
        new ConfigurationError(
          `is a symbolic link (to ${target}); gitops/ may hold only regular files and folders: a link makes the plan read, and Flux apply, something other than what was reviewed. Replace it with the file or folder itself`,
          { file: shownPath(root, abs), line: 1 },
        ),
      );
    } else if (kind === 'other') {
      errors.push(
        new ConfigurationError('is not a regular file or folder; gitops/ may hold only those', {
          file: shownPath(root, abs),
        }),
      );
    }
  });
  return errors;
}

/**
 * What a pull request could use to reach past review, checked before anything else reads gitops/:
 * symbolic links; kustomizations with remote or out-of-tree paths, Helm charts or plugins; templates
 * with transforms. Nothing is fetched, built or followed.
 */
export function checkGitopsSafety(gitopsDir: string): ConfigurationError[] {
  const root = path.resolve(gitopsDir);
  // The root itself is named by the workflow; only what is inside it comes from the branch.
  try {
    if (!statSync(root).isDirectory()) return [];
  } catch {
    return []; // the loader reports a missing folder
  }
  return [...findSymlinks(root), ...validateKustomizations(root), ...validateTemplateSafety(root)];
}
