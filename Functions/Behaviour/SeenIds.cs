using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Cordon.Behaviour;

/// <summary>
/// The event ids an agent's state remembers for dedupe, as a set of 48-bit keys kept with the live state and changed with it:
/// built once from the stored text when the state is read (a restart, a persisting store's miss), not once per batch.
/// Keys are XxHash3 (<see cref="Scheme"/>); ids remembered by earlier versions (SHA-256 fingerprints) stay recognised in a
/// list of their own until they leave the dedupe window.
/// </summary>
public sealed class SeenIds
{
    /// <summary>How <see cref="AgentState.Seen"/> keys are made; a state without it was written with SHA-256 fingerprints.</summary>
    public const string Scheme = "xxh3-48";

    const ulong KeyMask = (1UL << (4 * AgentState.SeenIdChars)) - 1;

    readonly HashSet<ulong> keys;
    readonly HashSet<ulong> legacy;

    SeenIds(AgentState state)
    {
        keys = Keys(state.Seen);
        legacy = Keys(state.LegacySeen);
    }

    /// <summary>The state's set, built when first needed; a state written before <see cref="Scheme"/> moves its ids aside first.</summary>
    internal static SeenIds Of(AgentState state)
    {
        if (state.SeenScheme != Scheme)
        {
            state.LegacySeen.AddRange(state.Seen);
            state.LegacySeen.Sort((a, b) => a.Hour.CompareTo(b.Hour));
            state.Seen = [];
            state.SeenScheme = Scheme;
            state.SeenIndex = null;
        }

        return state.SeenIndex ??= new SeenIds(state);
    }

    /// <summary>
    /// The dedupe key of an event id: 48 bits of XxHash3 of its UTF-8 bytes. Only equality within one agent's window is
    /// needed, so no cryptographic hash: with 5,000 ids remembered a new id is taken for a duplicate about once in 50 billion.
    /// </summary>
    public static ulong Key(string eventId)
    {
        int max = Encoding.UTF8.GetMaxByteCount(eventId.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[512] : new byte[max];
        int length = Encoding.UTF8.GetBytes(eventId, bytes);
        return XxHash3.HashToUInt64(bytes[..length]) & KeyMask;
    }

    /// <summary>False when the id was seen (this batch or within the window); else remembers its key.</summary>
    internal bool Add(ulong key, string eventId)
    {
        if (keys.Contains(key) || (legacy.Count > 0 && legacy.Contains(Parse(RiskScorer.Fingerprint(eventId).AsSpan(0, AgentState.SeenIdChars)))))
        {
            return false;
        }

        keys.Add(key);
        return true;
    }

    /// <summary>Forgets ids dropped from the stored text (<paramref name="ids"/>: concatenated keys of one hour).</summary>
    internal void Forget(ReadOnlySpan<char> ids, bool fromLegacy)
    {
        HashSet<ulong> set = fromLegacy ? legacy : keys;
        for (int i = 0; i + AgentState.SeenIdChars <= ids.Length; i += AgentState.SeenIdChars)
        {
            set.Remove(Parse(ids.Slice(i, AgentState.SeenIdChars)));
        }
    }

    static HashSet<ulong> Keys(List<SeenHour> hours)
    {
        var set = new HashSet<ulong>(hours.Sum(h => h.Ids.Length) / AgentState.SeenIdChars);
        foreach (SeenHour h in hours)
        {
            for (int i = 0; i + AgentState.SeenIdChars <= h.Ids.Length; i += AgentState.SeenIdChars)
            {
                set.Add(Parse(h.Ids.AsSpan(i, AgentState.SeenIdChars)));
            }
        }

        return set;
    }

    /// <summary>A remembered id (12 hex characters, 48 bits) as a number; an id that is not hex (never written so) keeps a hash of its own.</summary>
    static ulong Parse(ReadOnlySpan<char> id) =>
        ulong.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : (1UL << 63) | (uint)string.GetHashCode(id, StringComparison.Ordinal);
}
