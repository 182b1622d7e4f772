#!/usr/bin/env bash
# .ci/tag-release.sh vX.Y.Z: creates, at HEAD and locally, one annotated tag
# per published module — vX.Y.Z for the root, DIR/vX.Y.Z for the module in
# DIR (redisstore/vX.Y.Z, adapters/gin/vX.Y.Z, …) — after checking that the
# working tree is clean, that every module requires the others at vX.Y.Z,
# that vX.Y.Z is the latest release in CHANGELOG.md and that go.work maps it
# (.ci/modtool.sh check), and that none of the tags exists yet. It pushes
# nothing; it prints the push command. See docs/RELEASING.md.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 vX.Y.Z" >&2; exit 2; }
version=$1
cd "$(dirname "$0")/.."

if ! [[ $version =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "tag-release: $version is not a semantic version such as v0.2.0" >&2; exit 1
fi
if [ -n "$(git status --porcelain)" ]; then
  echo "tag-release: the working tree has changes; commit them first, so that the tags name what was checked:" >&2
  git status --short >&2; exit 1
fi
checked=$(.ci/modtool.sh check) || { echo "tag-release: fix the above first (.ci/set-version.sh $version, CHANGELOG.md)" >&2; exit 1; }
if [ "$checked" != "$version" ]; then
  echo "tag-release: the modules require each other at $checked, not $version (.ci/set-version.sh $version, then a CHANGELOG.md heading)" >&2
  exit 1
fi

tags=() messages=()
while read -r dir path; do
  if [ "$dir" = . ]; then tag=$version; else tag=$dir/$version; fi
  if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
    echo "tag-release: tag $tag exists already (at $(git rev-list -n1 "$tag" | cut -c1-12))" >&2; exit 1
  fi
  tags+=("$tag") messages+=("$path $version")
done < <(.ci/modtool.sh published)

commit=$(git rev-parse HEAD)
for i in "${!tags[@]}"; do
  git tag -a "${tags[$i]}" -m "${messages[$i]}" "$commit"
  echo "tagged ${tags[$i]} (${messages[$i]}) at ${commit:0:12}"
done
echo
echo "Push them with:"
echo "  git push origin ${tags[*]}"
