using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cordon.Evidence;

/// <summary>Manifest lines of an evidence set: what was stored, with its SHA-256.</summary>
public sealed record ManifestLine(string Name, string Sha256, long Length, string ContentType, DateTimeOffset StoredAt);

/// <summary>
/// The hashing rules every evidence store shares, so one verifier checks a folder, Azurite or Azure Blob:
/// item hash = SHA-256 of the bytes; custody entry hash = SHA-256 over the previous entry's hash and
/// this entry's fields, so removing, reordering or editing any entry breaks every later hash.
/// </summary>
public static class EvidenceChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string EntryHash(string previousHash, int sequence, DateTimeOffset at, string actor, string action, string item, string? itemSha256) =>
        Sha256(Encoding.UTF8.GetBytes(string.Join('\n',
            previousHash, sequence.ToString(CultureInfo.InvariantCulture), at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            actor, action, item, itemSha256 ?? "")));

    public static CustodyEntry Next(CustodyEntry? last, DateTimeOffset at, string actor, string action, string item, string? itemSha256)
    {
        int seq = (last?.Sequence ?? 0) + 1;
        string prev = last?.Hash ?? Genesis;
        return new CustodyEntry(seq, at, actor, action, item, itemSha256, prev, EntryHash(prev, seq, at, actor, action, item, itemSha256));
    }

    /// <summary>
    /// Checks every item against the manifest, then the custody chain, that every item's hash is in the
    /// chain, and — when a head recorded outside the store is given — that the chain ends where it says;
    /// names the first thing that does not match.
    /// </summary>
    public static async Task<EvidenceVerification> VerifyAsync(
        IReadOnlyList<ManifestLine> manifest, IReadOnlyList<CustodyEntry> custody, Func<string, Task<byte[]?>> read, RecordedHead? recorded = null)
    {
        EvidenceVerification result = await VerifyStoreAsync(manifest, custody, read);
        CustodyHead? head = custody.Count == 0 ? null : new CustodyHead(custody[^1].Sequence, custody[^1].Hash);
        if (result.Ok && recorded is not null)
        {
            result = AgainstRecorded(manifest, custody, recorded) ?? result with { Detail = $"{result.Detail}; the chain matches the head recorded in {recorded.Source}" };
        }

        return result with { Head = head };
    }

    static EvidenceVerification? AgainstRecorded(IReadOnlyList<ManifestLine> manifest, IReadOnlyList<CustodyEntry> custody, RecordedHead recorded)
    {
        CustodyHead h = recorded.Head;
        int at = custody.ToList().FindIndex(e => e.Sequence == h.Sequence);
        if (at < 0 || custody[at].Hash != h.Hash)
        {
            string item = $"custody entry {h.Sequence}";
            return new(false, manifest.Count, custody.Count, item, at < 0
                ? $"{item}, the head recorded in {recorded.Source}, is missing: the custody log was cut short ({custody.Count} entries left)"
                : $"{item} differs from the head recorded in {recorded.Source}: the custody log was rewritten");
        }

        // Items recorded after the head (the report itself) must be there, exactly as the record says.
        foreach (var (name, sha) in recorded.MayFollow ?? new Dictionary<string, string>())
        {
            if (!manifest.Any(m => m.Name == name && m.Sha256 == sha))
            {
                return new(false, manifest.Count, custody.Count, name, $"item {name} as recorded in {recorded.Source} is not in the evidence set: it was removed or replaced");
            }
        }

        foreach (CustodyEntry later in custody.Skip(at + 1))
        {
            if (recorded.MayFollow is null || later.ItemSha256 is null ||
                !recorded.MayFollow.TryGetValue(later.Item, out string? sha) || sha != later.ItemSha256)
            {
                return new(false, manifest.Count, custody.Count, later.Item,
                    $"custody entry {later.Sequence} ({later.Action} {later.Item}) was added after the head recorded in {recorded.Source}");
            }
        }

        return null;
    }

    static async Task<EvidenceVerification> VerifyStoreAsync(
        IReadOnlyList<ManifestLine> manifest, IReadOnlyList<CustodyEntry> custody, Func<string, Task<byte[]?>> read)
    {
        foreach (ManifestLine line in manifest)
        {
            // A name no store could have written (a path: found by an attack, it threw out of both stores' reads, a 500).
            if (!EvidenceNames.IsItemName(line.Name))
            {
                return new(false, manifest.Count, custody.Count, line.Name, $"the manifest lists {line.Name}, which is not an evidence item's name: the manifest was edited");
            }

            byte[]? bytes = await read(line.Name);
            if (bytes is null)
            {
                return new(false, manifest.Count, custody.Count, line.Name, $"item {line.Name} is listed in the manifest but missing");
            }

            string actual = Sha256(bytes);
            if (actual != line.Sha256)
            {
                return new(false, manifest.Count, custody.Count, line.Name, $"item {line.Name} does not match its manifest hash (expected {line.Sha256}, found {actual})");
            }
        }

        string prev = Genesis;
        int expected = 1;
        foreach (CustodyEntry e in custody)
        {
            string item = $"custody entry {e.Sequence}";
            if (e.Sequence != expected || e.PreviousHash != prev)
            {
                return new(false, manifest.Count, custody.Count, item, $"{item} does not follow entry {expected - 1} (chain broken)");
            }

            if (EntryHash(e.PreviousHash, e.Sequence, e.At, e.Actor, e.Action, e.Item, e.ItemSha256) != e.Hash)
            {
                return new(false, manifest.Count, custody.Count, item, $"{item} ({e.Action} {e.Item}) was altered: its hash does not match");
            }

            if (e.ItemSha256 is not null)
            {
                // A removed manifest entry would otherwise take its item out of the check.
                ManifestLine? listed = manifest.FirstOrDefault(m => m.Name == e.Item);
                if (listed is null)
                {
                    return new(false, manifest.Count, custody.Count, e.Item, $"item {e.Item} is in custody entry {e.Sequence} but missing from the manifest");
                }

                if (listed.Sha256 != e.ItemSha256)
                {
                    return new(false, manifest.Count, custody.Count, e.Item, $"item {e.Item} hash in custody entry {e.Sequence} differs from the manifest");
                }
            }

            prev = e.Hash;
            expected++;
        }

        // Every item's hash must be on the chain: an item with only a manifest line was planted, or rewritten
        // together with its line.
        var chained = custody.Where(e => e.ItemSha256 is not null).Select(e => (e.Item, e.ItemSha256!)).ToHashSet();
        if (manifest.FirstOrDefault(m => !chained.Contains((m.Name, m.Sha256))) is { } unchained)
        {
            return new(false, manifest.Count, custody.Count, unchained.Name,
                $"item {unchained.Name} has no entry with its hash in the custody chain: it was planted or rewritten outside Cordon");
        }

        return new(true, manifest.Count, custody.Count, null, $"{manifest.Count} items and {custody.Count} custody entries verified");
    }
}
