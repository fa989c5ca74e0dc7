namespace Cordon.Connectors;

public sealed record EvidenceItem(string Name, string Sha256, long Length, string ContentType, DateTimeOffset StoredAt, bool Immutable);

/// <summary>One chain-of-custody entry; each carries the hash of the entry before it.</summary>
public sealed record CustodyEntry(int Sequence, DateTimeOffset At, string Actor, string Action, string Item, string? ItemSha256, string PreviousHash, string Hash);

public sealed record EvidenceVerification(bool Ok, int ItemsChecked, int CustodyEntriesChecked, string? FirstMismatch, string Detail);

/// <summary>
/// The evidence port: Azure Blob (immutable, legal hold) in Azure; a folder or Azurite locally.
/// Items are write-once: writing the same name again with the same bytes is a no-op (so a retried
/// activity is harmless), with different bytes it is refused.
/// </summary>
public interface IEvidenceStore
{
    Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken);

    Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<EvidenceItem>> ListAsync(string incidentId, CancellationToken cancellationToken);

    /// <summary>Appends to the custody log; an entry with the same action and item is not appended twice.</summary>
    Task<CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken);

    /// <summary>Recomputes every item hash against the manifest and the custody chain.</summary>
    Task<EvidenceVerification> VerifyAsync(string incidentId, CancellationToken cancellationToken);
}
