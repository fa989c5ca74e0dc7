namespace Cordon.World;

/// <summary>
/// A storage connection-string setting checked at start-up, so a bad one stops the host naming the setting: blank, an
/// unresolved Key Vault reference, or a string the storage client cannot parse (whose own FormatException named nothing,
/// found by an attack). Parsing makes no request.
/// </summary>
public static class StorageConnection
{
    /// <summary>What is wrong with <paramref name="value"/> (set as <paramref name="setting"/>); null when it is usable or not set at all.</summary>
    /// <param name="parse">The storage client's constructor: throws when the string is not a connection string.</param>
    public static string? Problem(string setting, string? value, Action<string> parse)
    {
        if (value is not { Length: > 0 })
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{setting} is blank: remove it or set a storage connection string";
        }

        if (value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            return $"{setting} is an unresolved Key Vault reference: check the secret URI and that the Function App's managed identity may read secrets of that vault";
        }

        try
        {
            parse(value);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            return $"{setting} is not a storage connection string: {ex.Message}";
        }
    }
}
