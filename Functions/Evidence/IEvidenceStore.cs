namespace Cordon.Evidence;

public sealed record EvidenceItem(string Name, string Sha256, long Length, string ContentType, DateTimeOffset StoredAt, bool Immutable);

/// <summary>One chain-of-custody entry; each carries the hash of the entry before it.</summary>
public sealed record CustodyEntry(int Sequence, DateTimeOffset At, string Actor, string Action, string Item, string? ItemSha256, string PreviousHash, string Hash);

/// <summary>
/// Who stored an evidence item and why: the item's one custody entry, carrying its hash. Without one, the store writes
/// its own (<see cref="IEvidenceStore.StoredAction"/>).
/// </summary>
public sealed record CustodyNote(string Actor, string Action)
{
    /// <summary>The store's own entry, for an item stored without a note.</summary>
    public static CustodyNote ByStore { get; } = new(IEvidenceStore.StoreActor, IEvidenceStore.StoredAction);
}

/// <summary>Head: the last custody entry found (what a later check compares against).</summary>
public sealed record EvidenceVerification(bool Ok, int ItemsChecked, int CustodyEntriesChecked, string? FirstMismatch, string Detail, CustodyHead? Head = null);

/// <summary>
/// The last entry of an incident's custody chain. Recorded outside the store when the incident closes
/// (its status and output, the closing event, the report), it makes the chain checkable as a whole:
/// removing, rewriting or appending entries — and so any item — no longer verifies against it.
/// </summary>
public sealed record CustodyHead(int Sequence, string Hash)
{
    public override string ToString() => $"{Sequence}:{Hash}";

    /// <summary>Reads "SEQUENCE:HASH" (as printed by <see cref="ToString"/>).</summary>
    public static bool TryParse(string? text, out CustodyHead? head)
    {
        head = null;
        int colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0 || !int.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int sequence) ||
            sequence < 1 || text!.Length - colon - 1 != 64 || !text[(colon + 1)..].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        head = new CustodyHead(sequence, text[(colon + 1)..]);
        return true;
    }
}

/// <summary>
/// A head recorded outside the store, to verify against. The chain must contain it; after it may come
/// only entries for <see cref="MayFollow"/> (item name → SHA-256; the report records the head before its
/// own entries), and nothing at all when that is empty (the head recorded at close).
/// </summary>
public sealed record RecordedHead(CustodyHead Head, string Source, IReadOnlyDictionary<string, string>? MayFollow = null);

/// <summary>
/// The evidence port: Azure Blob (immutable, legal hold) in Azure; a folder or Azurite locally.
/// Items are write-once: writing the same name again with the same bytes is a no-op (so a retried
/// activity is harmless), with different bytes it is refused. Every stored item's hash goes into the
/// custody chain (an entry <see cref="StoredAction"/> written by the store itself), so no item escapes it.
/// </summary>
public interface IEvidenceStore
{
    public const string StoreActor = "cordon/evidence-store";
    public const string StoredAction = "stored";

    Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken);

    /// <summary>
    /// As above, with the item's custody entry saying who stored it and why: one entry, where a "stored" entry and a note
    /// after it cost the store two writes. Stored again with the same note (a retried step), the entry is found, not added.
    /// </summary>
    Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CustodyNote custody, CancellationToken cancellationToken);

    Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken cancellationToken);

    /// <summary>
    /// The item as stored, or null, for a step that finds its own item stored (a rerun) and relies on it instead of
    /// storing it again: it also makes sure the item has its manifest line and its custody entry (<paramref name="custody"/>,
    /// as the step stores it), which a run stopped between writing the item and them (a crash) left out. Without that
    /// the rerun skipped the write and the evidence set never verified again (found by killing a host mid-burst). An item
    /// with any custody entry is complete: only a store write appends one, after the item and its manifest entry.
    /// </summary>
    Task<byte[]?> FindAsync(string incidentId, string name, string contentType, CustodyNote custody, CancellationToken cancellationToken);

    Task<IReadOnlyList<EvidenceItem>> ListAsync(string incidentId, CancellationToken cancellationToken);

    /// <summary>Appends to the custody log; an entry with the same action and item is not appended twice.</summary>
    Task<CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken);

    /// <summary>Recomputes every item hash against the manifest and the custody chain.</summary>
    Task<EvidenceVerification> VerifyAsync(string incidentId, CancellationToken cancellationToken);

    /// <summary>As above, and checks the chain against a head recorded outside the store.</summary>
    Task<EvidenceVerification> VerifyAsync(string incidentId, RecordedHead? recorded, CancellationToken cancellationToken);

    /// <summary>The custody chain's last entry, or null when nothing is recorded yet.</summary>
    Task<CustodyHead?> HeadAsync(string incidentId, CancellationToken cancellationToken);
}
