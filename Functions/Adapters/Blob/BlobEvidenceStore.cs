using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Cordon.Evidence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cordon.Adapters.Blob;

/// <summary>
/// A manifest entry as the Blob store keeps it: the shared manifest line, how the item is protected and,
/// on an account with versioning, the version written (the one a legal hold keeps).
/// </summary>
public sealed record BlobManifestEntry(string Name, string Sha256, long Length, string ContentType, DateTimeOffset StoredAt, string Immutability, string? VersionId = null)
{
    public const string LegalHold = "legal-hold";
    public const string NotEnforcedPrefix = "not-enforced";
}

/// <summary>
/// The evidence store on Azure Blob storage (Azurite locally), with the same semantics as
/// <c>FolderEvidenceStore</c> (Functions.Local). Per incident, under the prefix <c>{incidentId}/</c>:
/// <c>items/{name}</c> (the bytes), <c>manifest/{name}.json</c> (its SHA-256) and
/// <c>custody/{sequence:D6}.json</c> (the chain-of-custody entries). Every blob is written once with
/// If-None-Match: * — a rerun after a crash finds what it wrote and never overwrites — and gets a legal
/// hold where the account has version-level immutability; where it has not (Azurite, a plain account,
/// missing rights) the manifest records it as not enforced instead of pretending.
/// </summary>
public sealed class BlobEvidenceStore(BlobContainerClient container, TimeProvider time, ILogger<BlobEvidenceStore>? logger = null) : IEvidenceStore
{
    const int MaxAppendAttempts = 50;

    /// <summary>Incidents whose custody log this process keeps in memory; past it the logs are dropped and read again on use.</summary>
    const int MaxKnownLogs = 4096;

    /// <summary>
    /// Each incident's custody log as this process last wrote or read it. Appending needs the log's last entry (to chain
    /// onto) and its entries (a retried step finds its own); reading the whole log from storage for that made every
    /// append cost a listing and one download per entry, quadratic in the incident's evidence. The log may be behind
    /// storage (another instance appended): the next sequence number is then taken already, the write-once upload is
    /// refused, and the log is read again. It is never ahead: an entry joins it only once its blob is written.
    /// Verification and the head always read storage.
    /// </summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Immutable.ImmutableList<CustodyEntry>> knownLogs = new(StringComparer.Ordinal);
    readonly ILogger log = logger ?? NullLogger<BlobEvidenceStore>.Instance;
    volatile bool created;
    volatile string? holdUnsupported;

    public BlobContainerClient Container { get; } = container;

    public Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken) =>
        PutAsync(incidentId, name, content, contentType, CustodyNote.ByStore, cancellationToken);

    public async Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CustodyNote custody, CancellationToken cancellationToken)
    {
        string sha = EvidenceChain.Sha256(content.Span);
        await EnsureContainerAsync(cancellationToken);
        BlobClient item = Container.GetBlobClient(ItemPath(incidentId, name));
        string? versionId = await UploadOnceAsync(item, BinaryData.FromBytes(content), contentType, cancellationToken);
        if (versionId is null)
        {
            // Written before (a retried activity): harmless when the bytes are the same, refused otherwise.
            BlobDownloadResult existing = (await item.DownloadContentAsync(cancellationToken)).Value;
            if (EvidenceChain.Sha256(existing.Content.ToMemory().Span) != sha)
            {
                throw new InvalidOperationException($"evidence item {name} of {incidentId} already exists with different content; evidence is write-once");
            }

            versionId = existing.Details.VersionId ?? "";
        }

        string immutability = await HoldAsync(item, cancellationToken);
        var entry = new BlobManifestEntry(name, sha, content.Length, contentType, time.GetUtcNow(), immutability, versionId.Length == 0 ? null : versionId);
        BlobClient manifest = Container.GetBlobClient(ManifestPath(incidentId, name));
        if (await UploadOnceAsync(manifest, BinaryData.FromObjectAsJson(entry, CordonJson.Options), "application/json", cancellationToken) is null)
        {
            entry = await ReadAsync<BlobManifestEntry>(manifest, cancellationToken)
                ?? throw new InvalidOperationException($"manifest entry of {name} ({incidentId}) vanished while being read");
            if (entry.Sha256 != sha)
            {
                throw new InvalidOperationException($"manifest entry of {name} ({incidentId}) records another hash; evidence is write-once");
            }
        }

        await HoldAsync(manifest, cancellationToken);
        await AppendCustodyAsync(incidentId, custody.Actor, custody.Action, name, sha, cancellationToken);
        return new EvidenceItem(name, sha, entry.Length, entry.ContentType, entry.StoredAt, entry.Immutability == BlobManifestEntry.LegalHold);
    }

    public async Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await Container.GetBlobClient(ItemPath(incidentId, name)).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// A custody entry is written after its item and manifest entry, so one on the log means the item is complete; the log
    /// this process knows (it appended the entry, or read the log) answers without a request in the usual case.
    /// </summary>
    public async Task<byte[]?> FindAsync(string incidentId, string name, string contentType, CustodyNote custody, CancellationToken cancellationToken)
    {
        if (await GetAsync(incidentId, name, cancellationToken) is not { } content)
        {
            return null;
        }

        System.Collections.Immutable.ImmutableList<CustodyEntry> entries;
        try
        {
            entries = await KnownLogAsync(incidentId, cancellationToken);
        }
        catch (UnreadableBlobException ex)
        {
            // A custody entry altered beyond reading: the step still has its item (verification names the damage), and
            // nothing is appended to a log nobody can chain onto.
            log.LogWarning("Custody log of {IncidentId} is unreadable ({Error}); {Item} found, not completed", incidentId, ex.Message, name);
            return content;
        }

        // Any entry for the item will do: only a store write appends one, after the item and its manifest entry (a step that
        // asks under another note, an approver asked again in another role, adds nothing).
        if (!entries.Any(e => e.Item == name))
        {
            // Stored by a run that stopped before its custody entry (or one appended by another instance since this process
            // last read the log): storing the same bytes again writes what is missing and finds what is there.
            await PutAsync(incidentId, name, content, contentType, custody, cancellationToken);
        }

        return content;
    }

    public async Task<IReadOnlyList<EvidenceItem>> ListAsync(string incidentId, CancellationToken cancellationToken)
    {
        try
        {
            return (await ManifestAsync(incidentId, cancellationToken))
                .Select(m => new EvidenceItem(m.Name, m.Sha256, m.Length, m.ContentType, m.StoredAt, m.Immutability == BlobManifestEntry.LegalHold))
                .ToList();
        }
        catch (UnreadableBlobException)
        {
            return []; // a damaged manifest lists nothing; verification names the blob (the API answered 500)
        }
    }

    /// <summary>The incident's manifest entries, oldest first.</summary>
    public async Task<IReadOnlyList<BlobManifestEntry>> ManifestAsync(string incidentId, CancellationToken cancellationToken) =>
        (await ReadAllAsync<BlobManifestEntry>($"{Prefix(incidentId)}manifest/", cancellationToken))
            .OrderBy(m => m.StoredAt).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();

    public async Task<CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        for (int attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            System.Collections.Immutable.ImmutableList<CustodyEntry> entries = await KnownLogAsync(incidentId, cancellationToken);

            if (entries.FirstOrDefault(e => e.Action == action && e.Item == item) is { } done)
            {
                await HoldAsync(Container.GetBlobClient(CustodyPath(incidentId, done.Sequence)), cancellationToken);
                Remember(incidentId, entries);
                return done; // a retried activity: the entry is already on the log
            }

            CustodyEntry entry = EvidenceChain.Next(entries.Count == 0 ? null : entries[^1], time.GetUtcNow(), actor, action, item, itemSha256);
            BlobClient blob = Container.GetBlobClient(CustodyPath(incidentId, entry.Sequence));
            if (await UploadOnceAsync(blob, BinaryData.FromObjectAsJson(entry, CordonJson.Options), "application/json", cancellationToken) is not null)
            {
                await HoldAsync(blob, cancellationToken);
                Remember(incidentId, entries.Add(entry));
                return entry;
            }

            // Another writer took this sequence number first: read the log again and chain onto its entry.
            knownLogs.TryRemove(incidentId, out _);
        }

        throw new InvalidOperationException($"custody log of {incidentId}: gave up after {MaxAppendAttempts} concurrent-append conflicts");
    }

    /// <summary>The incident's custody log as this process knows it, read from storage (and remembered) when it knows none.</summary>
    async Task<System.Collections.Immutable.ImmutableList<CustodyEntry>> KnownLogAsync(string incidentId, CancellationToken ct)
    {
        if (knownLogs.TryGetValue(incidentId, out System.Collections.Immutable.ImmutableList<CustodyEntry>? known))
        {
            return known;
        }

        System.Collections.Immutable.ImmutableList<CustodyEntry> read = [.. await CustodyAsync(incidentId, ct)];
        Remember(incidentId, read);
        return read;
    }

    void Remember(string incidentId, System.Collections.Immutable.ImmutableList<CustodyEntry> entries)
    {
        if (knownLogs.Count >= MaxKnownLogs && !knownLogs.ContainsKey(incidentId))
        {
            knownLogs.Clear(); // a bound, not a policy: forgotten logs are read again from storage when next appended to
        }

        // A concurrent append in this process may have remembered a longer log: keep the longer one.
        knownLogs.AddOrUpdate(incidentId, entries, (_, known) => known.Count > entries.Count ? known : entries);
    }

    /// <summary>
    /// Always read from storage. The log read is remembered: intake asks for a new incident's head (is its id free of a
    /// purged incident's evidence?) just before it appends the snapshot's entry, which then chains on without a listing.
    /// </summary>
    public async Task<CustodyHead?> HeadAsync(string incidentId, CancellationToken cancellationToken)
    {
        List<CustodyEntry> log = await CustodyAsync(incidentId, cancellationToken);
        Remember(incidentId, [.. log]);
        return log.LastOrDefault() is { } last ? new CustodyHead(last.Sequence, last.Hash) : null;
    }

    public Task<EvidenceVerification> VerifyAsync(string incidentId, CancellationToken cancellationToken) => VerifyAsync(incidentId, null, cancellationToken);

    public async Task<EvidenceVerification> VerifyAsync(string incidentId, RecordedHead? recorded, CancellationToken cancellationToken)
    {
        if (!await AnyAsync(Prefix(incidentId), cancellationToken))
        {
            return new EvidenceVerification(false, 0, 0, incidentId, $"no evidence set for incident {incidentId} in container {Container.Name} at {Container.Uri.GetLeftPart(UriPartial.Authority)}");
        }

        IReadOnlyList<BlobManifestEntry> manifest;
        List<CustodyEntry> custody;
        try
        {
            manifest = await ManifestAsync(incidentId, cancellationToken);
            custody = await CustodyAsync(incidentId, cancellationToken);
        }
        catch (UnreadableBlobException ex)
        {
            return new EvidenceVerification(false, 0, 0, ex.BlobName, ex.Message);
        }

        // Items with neither manifest nor custody log: both deleted (a partial deletion is named by the chain). An item
        // beside other items' entries may be one being stored now, or one whose step stopped before its entry and reruns.
        string items = $"{Prefix(incidentId)}items/";
        if (manifest.Count == 0 && custody.Count == 0)
        {
            await foreach (string blobName in NamesAsync(items, cancellationToken))
            {
                string item = blobName[items.Length..];
                return new EvidenceVerification(false, 0, 0, item,
                    $"item {item} is in container {Container.Name} but has no manifest entry and the custody log is empty: both were deleted");
            }
        }

        EvidenceVerification result = await EvidenceChain.VerifyAsync(
            manifest.Select(m => new ManifestLine(m.Name, m.Sha256, m.Length, m.ContentType, m.StoredAt)).ToList(),
            custody,
            name => GetAsync(incidentId, name, cancellationToken),
            recorded);
        int unprotected = manifest.Count(m => m.Immutability != BlobManifestEntry.LegalHold);
        return result.Ok && unprotected > 0
            ? result with { Detail = $"{result.Detail}; immutability not enforced by this account for {unprotected} of {manifest.Count} items ({manifest.First(m => m.Immutability != BlobManifestEntry.LegalHold).Immutability})" }
            : result;
    }

    public static string ItemPath(string incidentId, string name) => $"{Prefix(incidentId)}items/{Safe(name)}";

    static string ManifestPath(string incidentId, string name) => $"{Prefix(incidentId)}manifest/{Safe(name)}.json";

    static string CustodyPath(string incidentId, int sequence) => $"{Prefix(incidentId)}custody/{sequence.ToString("D6", CultureInfo.InvariantCulture)}.json";

    static string Prefix(string incidentId) => Safe(incidentId) + "/";

    static string Safe(string s) => EvidenceNames.IsItemName(s) ? s : throw new ArgumentException($"'{s}' is not a safe evidence name");

    async Task<List<CustodyEntry>> CustodyAsync(string incidentId, CancellationToken ct) =>
        (await ReadAllAsync<CustodyEntry>($"{Prefix(incidentId)}custody/", ct)).OrderBy(e => e.Sequence).ToList();

    /// <summary>
    /// Writes the blob only if no blob of that name exists. Returns the version written ("" on an
    /// account without versioning), or null when a blob of that name was already there.
    /// </summary>
    static async Task<string?> UploadOnceAsync(BlobClient blob, BinaryData content, string contentType, CancellationToken ct)
    {
        try
        {
            BlobContentInfo written = (await blob.UploadAsync(content, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct)).Value;
            return written.VersionId ?? "";
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Places a legal hold on the blob's current version; says how the blob is protected.</summary>
    async Task<string> HoldAsync(BlobClient blob, CancellationToken ct)
    {
        if (holdUnsupported is { } known)
        {
            return known;
        }

        try
        {
            await blob.SetLegalHoldAsync(true, ct);
            return BlobManifestEntry.LegalHold;
        }
        catch (RequestFailedException ex) when (ex.Status is 400 or 403 or 404 or 405 or 409 or 501)
        {
            string reason = $"{BlobManifestEntry.NotEnforcedPrefix}: legal hold refused by {blob.Uri.Host}:{blob.Uri.Port} ({ex.Status} {ex.ErrorCode ?? "no error code"})";
            log.LogWarning("Evidence immutability {Reason}; items stay write-once through conditional writes and verifiable by hash", reason);
            holdUnsupported = reason; // the account's capability does not change between items
            return reason;
        }
    }

    async Task EnsureContainerAsync(CancellationToken ct)
    {
        if (created)
        {
            return;
        }

        // Concurrent first calls may both create: CreateIfNotExists is idempotent.
        await Container.CreateIfNotExistsAsync(cancellationToken: ct);
        created = true;
    }

    async Task<bool> AnyAsync(string prefix, CancellationToken ct)
    {
        try
        {
            await foreach (string _ in NamesAsync(prefix, ct))
            {
                return true;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "ContainerNotFound")
        {
            // No container: no evidence yet (asking first cost a round trip on every read).
        }

        return false;
    }

    /// <summary>
    /// The names of the blobs under <paramref name="prefix"/>. A listing the storage client cannot read is the store
    /// failing, not the request: an answer without its Blobs element makes the client throw NullReferenceException
    /// (Azure SDK issue #43350; seen from Azurite under load, where intake answered 500), a cut-off one XmlException.
    /// Both leave as a RequestFailedException with status 0, which callers treat as the store unavailable (503, retry).
    /// </summary>
    async IAsyncEnumerable<string> NamesAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using IAsyncEnumerator<BlobItem> items = Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct).GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            try
            {
                more = await items.MoveNextAsync();
            }
            catch (Exception ex) when (ex is NullReferenceException or System.Xml.XmlException)
            {
                throw new RequestFailedException(0, $"the listing of {Container.Name}/{prefix} from {Container.Uri.GetLeftPart(UriPartial.Authority)} could not be read", ex);
            }

            if (!more)
            {
                yield break;
            }

            yield return items.Current.Name;
        }
    }

    async Task<List<T>> ReadAllAsync<T>(string prefix, CancellationToken ct)
    {
        var list = new List<T>();
        try
        {
            await foreach (string name in NamesAsync(prefix, ct))
            {
                if (await ReadAsync<T>(Container.GetBlobClient(name), ct) is { } value)
                {
                    list.Add(value);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "ContainerNotFound")
        {
            // No container: no evidence yet.
        }

        return list;
    }

    static async Task<T?> ReadAsync<T>(BlobClient blob, CancellationToken ct)
    {
        BinaryData content;
        try
        {
            content = (await blob.DownloadContentAsync(ct)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(content.ToMemory().Span, CordonJson.Options);
        }
        catch (JsonException ex)
        {
            throw new UnreadableBlobException(blob.Name, $"{blob.Name} is not a readable {typeof(T).Name} ({ex.Message}): it was altered");
        }
    }

    sealed class UnreadableBlobException(string blobName, string message) : Exception(message)
    {
        public string BlobName { get; } = blobName;
    }
}
