namespace Cordon.Adapters.Tables;

/// <summary>Table Storage's rule for PartitionKey and RowKey values, checked before a request is sent.</summary>
public static class TableKeys
{
    /// <summary>
    /// The value itself when Table Storage accepts it as a key; otherwise an <see cref="ArgumentException"/> naming it
    /// (after <paramref name="what"/>, e.g. "site id ") and the rule it breaks.
    /// </summary>
    public static string Checked(string value, string what = "") =>
        !string.IsNullOrEmpty(value) && value.Length <= 512 && !value.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            ? value
            : throw new ArgumentException($"{what}'{value}' cannot be a Table Storage key (empty, too long, or contains / \\ # ? or control characters)");
}
