using Cordon.Evidence;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Cordon.World;

namespace Cordon.Local.Connectors;

/// <summary>
/// The local evidence store: a folder per incident under the data directory, with items, an
/// append-only manifest and custody log (JSON lines). Write-once like the Blob store: same name and
/// bytes is a no-op, same name with other bytes is refused.
/// </summary>
public sealed class FolderEvidenceStore(string root, TimeProvider time) : IEvidenceStore
{
    const string Manifest = "manifest.jsonl";
    const string Custody = "custody.jsonl";
    readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    /// <summary>
    /// The manifest and custody log as last read or written, per file, with the file's length and write time then.
    /// Every item appends to both after reading them (the chain's last entry, the names taken), so without this
    /// a flood of merged alerts parsed the whole, growing log for every item. A file changed by anything else (its
    /// length or write time differ) is read again.
    /// </summary>
    readonly ConcurrentDictionary<string, (long Length, DateTime WrittenAt, object Lines)> parsed = new(StringComparer.Ordinal);

    public string Root { get; } = root;

    public Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken) =>
        PutAsync(incidentId, name, content, contentType, CustodyNote.ByStore, cancellationToken);

    public async Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CustodyNote custody, CancellationToken cancellationToken)
    {
        string dir = Dir(incidentId);
        string sha = EvidenceChain.Sha256(content.Span);
        await using var _ = await LockAsync(incidentId, cancellationToken);
        var manifest = await ReadLinesAsync<ManifestLine>(Path.Combine(dir, Manifest), cancellationToken);
        if (manifest.FirstOrDefault(m => m.Name == name) is { } existing)
        {
            if (existing.Sha256 != sha)
            {
                throw OtherContent(incidentId, name);
            }

            await AppendCustodyLockedAsync(incidentId, custody.Actor, custody.Action, name, sha, cancellationToken);
            return new EvidenceItem(name, sha, existing.Length, existing.ContentType, existing.StoredAt, true);
        }

        string path = ItemPath(incidentId, name);
        if (File.Exists(path))
        {
            // Written by an attempt that stopped before its manifest line: the first bytes stand, other bytes are refused
            // (the read-only attribute does not stop a host running as root).
            if (EvidenceChain.Sha256(await File.ReadAllBytesAsync(path, cancellationToken)) != sha)
            {
                throw OtherContent(incidentId, name);
            }
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Written aside and moved into place: a kill mid-write leaves no torn item under the name, which a rerun that
            // finds it would otherwise complete into the evidence as it is.
            string aside = $"{path}.{Guid.NewGuid():n}.partial";
            await File.WriteAllBytesAsync(aside, content.ToArray(), cancellationToken);
            File.SetAttributes(aside, FileAttributes.ReadOnly);
            File.Move(aside, path);
        }

        var line = new ManifestLine(name, sha, content.Length, contentType, time.GetUtcNow());
        await AppendLineAsync(Path.Combine(dir, Manifest), line, cancellationToken);
        await AppendCustodyLockedAsync(incidentId, custody.Actor, custody.Action, name, sha, cancellationToken);
        return new EvidenceItem(name, sha, content.Length, contentType, line.StoredAt, true);
    }

    static InvalidOperationException OtherContent(string incidentId, string name) =>
        new($"evidence item {name} of {incidentId} already exists with different content; evidence is write-once");

    public async Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken cancellationToken)
    {
        string path = ItemPath(incidentId, name);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    /// <summary>An item with any custody entry is complete (only a store write appends one, last); otherwise storing the found bytes again completes it.</summary>
    public async Task<byte[]?> FindAsync(string incidentId, string name, string contentType, CustodyNote custody, CancellationToken cancellationToken)
    {
        if (await GetAsync(incidentId, name, cancellationToken) is not { } content)
        {
            return null;
        }

        try
        {
            if (!(await ReadLinesAsync<CustodyEntry>(Path.Combine(Dir(incidentId), Custody), cancellationToken)).Any(e => e.Item == name))
            {
                await PutAsync(incidentId, name, content, contentType, custody, cancellationToken);
            }
        }
        catch (UnreadableLineException)
        {
            // The manifest or custody log was altered beyond reading: the step still has its item; verification names the line.
        }

        return content;
    }

    public async Task<IReadOnlyList<EvidenceItem>> ListAsync(string incidentId, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadLinesAsync<ManifestLine>(Path.Combine(Dir(incidentId), Manifest), cancellationToken))
                .Select(m => new EvidenceItem(m.Name, m.Sha256, m.Length, m.ContentType, m.StoredAt, true)).ToList();
        }
        catch (UnreadableLineException)
        {
            return []; // a damaged manifest lists nothing; verification names the line
        }
    }

    public async Task<CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken)
    {
        await using var _ = await LockAsync(incidentId, cancellationToken);
        return await AppendCustodyLockedAsync(incidentId, actor, action, item, itemSha256, cancellationToken);
    }

    public async Task<CustodyHead?> HeadAsync(string incidentId, CancellationToken cancellationToken) =>
        await ReadLinesAsync<CustodyEntry>(Path.Combine(Dir(incidentId), Custody), cancellationToken) is { Count: > 0 } entries
            ? new CustodyHead(entries[^1].Sequence, entries[^1].Hash)
            : null;

    async Task<CustodyEntry> AppendCustodyLockedAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken)
    {
        string path = Path.Combine(Dir(incidentId), Custody);
        var entries = await ReadLinesAsync<CustodyEntry>(path, cancellationToken);
        if (entries.FirstOrDefault(e => e.Action == action && e.Item == item) is { } done)
        {
            return done; // a retried activity: the entry is already on the log
        }

        CustodyEntry entry = EvidenceChain.Next(entries.Count > 0 ? entries[^1] : null, time.GetUtcNow(), actor, action, item, itemSha256);
        await AppendLineAsync(path, entry, cancellationToken);
        return entry;
    }

    public Task<EvidenceVerification> VerifyAsync(string incidentId, CancellationToken cancellationToken) => VerifyAsync(incidentId, null, cancellationToken);

    public async Task<EvidenceVerification> VerifyAsync(string incidentId, RecordedHead? recorded, CancellationToken cancellationToken)
    {
        string dir = Dir(incidentId);
        if (!Directory.Exists(dir))
        {
            return new EvidenceVerification(false, 0, 0, incidentId, $"no evidence set for incident {incidentId} under {Root}");
        }

        // The set as no step of this process is half-way through writing it (item, then manifest line, then custody line).
        await using var _ = await LockAsync(incidentId, cancellationToken);

        // A damaged folder is named, never thrown (found by an attack: a line cut short or edited by hand answered the
        // evidence API with a 500 and the CLI with a raw JSON error; logs deleted beside their items verified).
        IReadOnlyList<ManifestLine> manifest;
        IReadOnlyList<CustodyEntry> custody;
        try
        {
            manifest = await ReadLinesAsync<ManifestLine>(Path.Combine(dir, Manifest), cancellationToken);
            custody = await ReadLinesAsync<CustodyEntry>(Path.Combine(dir, Custody), cancellationToken);
        }
        catch (UnreadableLineException ex)
        {
            return new EvidenceVerification(false, 0, 0, ex.Where, ex.Message);
        }

        // Items with neither manifest nor custody log: both deleted (a partial deletion is named by the chain). An item beside
        // other items' lines may be one whose step stopped before its line and reruns (found by an attack: called tampered).
        string items = Path.Combine(dir, "items");
        if (manifest.Count == 0 && custody.Count == 0 && Directory.Exists(items) && Directory.EnumerateFiles(items).Select(Path.GetFileName).FirstOrDefault() is { } unlisted)
        {
            return new EvidenceVerification(false, 0, 0, unlisted!,
                $"item {unlisted} is in the evidence folder but on no manifest line and the custody log is empty: both were deleted");
        }

        return await EvidenceChain.VerifyAsync(manifest, custody, name => GetAsync(incidentId, name, cancellationToken), recorded);
    }

    /// <summary>A manifest or custody line that is not one (cut short, edited by hand).</summary>
    sealed class UnreadableLineException(string where, string message) : Exception(message)
    {
        public string Where { get; } = where;
    }

    public string ItemPath(string incidentId, string name) => Path.Combine(Dir(incidentId), "items", Safe(name));

    string Dir(string incidentId) => Path.Combine(Root, Safe(incidentId));

    static string Safe(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !s.StartsWith('.')
            ? s
            : throw new ArgumentException($"'{s}' is not a safe evidence name");

    async Task<Releaser> LockAsync(string incidentId, CancellationToken ct)
    {
        SemaphoreSlim gate = locks.GetOrAdd(incidentId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    /// <summary>The file's lines, parsed (a list shared with other readers: never changed, appends make a new one).</summary>
    async Task<IReadOnlyList<T>> ReadLinesAsync<T>(string path, CancellationToken ct)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return [];
        }

        if (parsed.TryGetValue(path, out var cached) && cached.Length == file.Length && cached.WrittenAt == file.LastWriteTimeUtc && cached.Lines is IReadOnlyList<T> known)
        {
            return known;
        }

        var list = new List<T>();
        int number = 0;
        foreach (string line in await File.ReadAllLinesAsync(path, ct))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string where = $"{Path.GetFileName(path)} line {number}";
            try
            {
                list.Add(JsonSerializer.Deserialize<T>(line, CordonJson.Options) ?? throw new UnreadableLineException(where, $"{where} is null, not an entry: the log was edited"));
            }
            catch (JsonException ex)
            {
                throw new UnreadableLineException(where, $"{where} is not an entry ({ex.Message}): the log was cut short or edited");
            }
        }

        parsed[path] = (file.Length, file.LastWriteTimeUtc, list);
        return list;
    }

    /// <summary>Appends a line (callers hold the incident's lock, and have read the file just before).</summary>
    async Task AppendLineAsync<T>(string path, T value, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var before = new FileInfo(path);
        (long Length, DateTime WrittenAt)? was = before.Exists ? (before.Length, before.LastWriteTimeUtc) : null;
        await File.AppendAllTextAsync(path, JsonSerializer.Serialize(value, CordonJson.Options) + "\n", Encoding.UTF8, ct);
        var after = new FileInfo(path);
        if (was is { } w && parsed.TryGetValue(path, out var cached) && cached.Length == w.Length && cached.WrittenAt == w.WrittenAt && cached.Lines is IReadOnlyList<T> known)
        {
            parsed[path] = (after.Length, after.LastWriteTimeUtc, new List<T>(known) { value });
        }
        else
        {
            parsed.TryRemove(path, out _);
        }
    }

    readonly struct Releaser(SemaphoreSlim gate) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            gate.Release();
            return ValueTask.CompletedTask;
        }
    }
}
