using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cordon.Evidence;

/// <summary>
/// Evidence item names that stay unique: a store accepts only [A-Za-z0-9-_.] and a bounded length, so a
/// name built from producer text keeps a readable prefix and adds a hash of the exact text. Cutting or
/// replacing characters alone would map two keys to one item (<c>case/0001</c> and <c>case:0001</c>, or
/// two 120-character sources), and the second item would never be stored.
/// </summary>
public static class EvidenceNames
{
    const int ReadableLength = 48;
    const int HashLength = 16; // 64 bits: no collision among one incident's items

    /// <summary>The part of an item name that stands for one alert (its source and id, exactly as sent).</summary>
    public static string ForAlert(string source, string alertId) => Hashed(JsonSerializer.Serialize(new[] { source, alertId }), source + "-" + alertId);

    /// <summary>The evidence item holding an alert as its incident took it (intake looks for it in purged incidents' evidence).</summary>
    public static string AlertItem(string source, string alertId) => $"alert-{ForAlert(source, alertId)}.json";

    /// <summary>
    /// A name part for a key that is usually already safe (a configured client id): kept as is when it is,
    /// otherwise a readable prefix and the hash, so two keys that only differ in unsafe characters stay apart.
    /// </summary>
    public static string Part(string key) =>
        key.Length is > 0 and <= ReadableLength && key.All(IsSafe) && !key.StartsWith('.') ? key : Hashed(key, key);

    static string Hashed(string exact, string readable)
    {
        string prefix = new string(readable.Select(c => IsSafe(c) ? c : '_').Take(ReadableLength).ToArray()).TrimStart('.');
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(exact)))[..HashLength];
        return prefix.Length == 0 ? hash : $"{prefix}-{hash}";
    }

    /// <summary>Whether <paramref name="name"/> can name an item in every store: [A-Za-z0-9-_.], not starting with a dot, at most 200 characters.</summary>
    public static bool IsItemName(string name) => name.Length is > 0 and <= 200 && name.All(IsSafe) && !name.StartsWith('.');

    static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
