"""Compare two builds note by note (by GUID) and write release notes from the difference."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .snapshot import NoteRecord, Snapshot


@dataclass(frozen=True)
class DeckDiff:
    old: Snapshot
    new: Snapshot
    added: list[NoteRecord]
    changed: list[NoteRecord]
    removed: list[NoteRecord]  # sent as "removed" notices for the first time
    dropped: list[NoteRecord]  # gone without a notice: learners keep them unknowingly
    notetype_changes: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.dropped or self.notetype_changes)


def diff(old: Snapshot, new: Snapshot) -> DeckDiff:
    added, changed, removed = [], [], []
    for guid, note in new.notes.items():
        before = old.notes.get(guid)
        if note.removed:
            if before is not None and not before.removed:
                removed.append(note)
        elif before is None or before.removed:
            added.append(note)
        elif before.content != note.content:
            changed.append(note)
    dropped = [note for guid, note in old.notes.items() if guid not in new.notes]
    notetype_changes = []
    for model_id, (name, fields) in new.notetypes.items():
        if model_id in old.notetypes and old.notetypes[model_id][1] != fields:
            was = ", ".join(old.notetypes[model_id][1])
            notetype_changes.append(f"{name}: fields {was} → {', '.join(fields)}")
    return DeckDiff(old, new, added, changed, removed, dropped, notetype_changes)


def _by_subdeck(notes: list[NoteRecord]) -> dict[str, list[NoteRecord]]:
    groups: dict[str, list[NoteRecord]] = defaultdict(list)
    for note in sorted(notes, key=lambda n: (n.deck, n.question)):
        groups[note.subdeck].append(note)
    return groups


def summary(result: DeckDiff) -> str:
    """Plain text for the terminal: per subdeck, what was added, changed and removed."""
    lines = [f"{result.old.version or '?'} → {result.new.version or '?'}"]
    for label, notes in (
        ("added", result.added),
        ("changed", result.changed),
        ("removed", result.removed),
        ("dropped without a notice", result.dropped),
    ):
        for subdeck, group in _by_subdeck(notes).items():
            for note in group:
                lines.append(f"{label}\t{subdeck}\t{note.question}")
    for change in result.notetype_changes:
        lines.append(f"note type changed\t{change}")
    lines.append(
        f"{len(result.added)} added, {len(result.changed)} changed, "
        f"{len(result.removed)} removed, {len(result.dropped)} dropped"
    )
    return "\n".join(lines)


def release_notes(result: DeckDiff, package_name: str, first: bool | None = None) -> str:
    """Markdown release notes: what is new, fixed, removed, and how to import.

    `first`: this is the first published release (default: the old snapshot is empty).
    """
    new, old = result.new, result.old
    first = not old.notes if first is None else first
    out = [f"# {new.title} v{new.version}", ""]
    if first:
        out += [f"首个发布版本（此前没有发布过任何版本）：共 {len(result.added)} 张卡片。", ""]
    else:
        out += [
            f"与 v{old.version} 相比：新增 {len(result.added)} 张，修订 {len(result.changed)} 张，"
            f"删除 {len(result.removed)} 张。",
            "",
        ]
    for heading, notes in (("新增", result.added), ("修订", result.changed), ("删除", result.removed)):
        if not notes:
            continue
        out += [f"## {heading}", ""]
        for subdeck, group in _by_subdeck(notes).items():
            if first:  # a first release lists counts, not hundreds of questions
                out.append(f"- {subdeck}：{len(group)} 张")
                continue
            out.append(f"### {subdeck}（{len(group)}）")
            out += [f"- {note.question_markdown}" for note in group]
            out.append("")
        if first:
            out.append("")
    if result.dropped:
        out += ["## 注意：以下卡片从包中消失但没有删除通知", ""]
        out += [f"- {note.question_markdown}" for note in result.dropped] + [""]
    out += ["## 如何导入", ""]
    out += [
        f"1. Anki 桌面版：文件 → 导入（File → Import），选择 `{package_name}`；AnkiDroid / AnkiMobile 直接打开该文件。",
    ]
    if result.notetype_changes:
        out.append(
            "2. **本版本修改了笔记类型的字段**（"
            + "；".join(result.notetype_changes)
            + "）：导入时勾选“合并笔记类型”（Merge note types），否则这些笔记会被跳过。"
        )
    else:
        out.append(
            "2. 导入选项保持默认即可：“更新笔记：仅当较新时”“更新笔记类型：仅当较新时”（Update notes / "
            "note types: If newer）；无需勾选“合并笔记类型”。"
        )
    out += [
        "3. 学习进度不会丢失：卡片按 GUID 匹配，修订的卡片原地更新，复习记录与间隔保持不变；"
        "你自己改过、而本版本没有修订的卡片保持你的版本。本版本修订过的卡片会被新内容覆盖。",
    ]
    if result.removed or not first:
        out.append(
            "4. 导入不会删除任何卡片。已删除的卡片会被更新为“【已删除】”提示并带有标签 `removed`："
            "在浏览器（Browse）中搜索 `tag:removed`，全选后“笔记 → 删除”（或暂停）即可。"
        )
    return "\n".join(out).rstrip() + "\n"
