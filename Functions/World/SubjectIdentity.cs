using System.Globalization;
using System.Text;

namespace Cordon.World;

/// <summary>
/// One identity per person, however a producer spells the account: Unicode NFKC (compatibility
/// characters such as the Kelvin sign U+212A become their plain letter) and then case folding. The
/// canonical form keys everything that must agree on who the subject is — incident ids, the
/// one-open-incident-per-subject merge, directory lookups, the monitor's per-agent state and the
/// four-eyes check — so two spellings of one account can never open two incidents or let one
/// incident act on an account other than the one the directory holds.
/// </summary>
public static class SubjectIdentity
{
    public static string Canonical(string userPrincipalName)
    {
        ArgumentNullException.ThrowIfNull(userPrincipalName);
        string s = userPrincipalName.Trim().Normalize(NormalizationForm.FormKC);
        // Upper then lower: every case variant of a letter (final sigma, dotted/dotless i, …) lands on one form.
        s = s.ToUpperInvariant().ToLowerInvariant();
        return s.IsNormalized(NormalizationForm.FormKC) ? s : s.Normalize(NormalizationForm.FormKC);
    }

    public static bool Same(string a, string b) => Canonical(a) == Canonical(b);

    /// <summary>
    /// The addresses a directory name stands for: itself and, for a guest account (<c>name_home.example#EXT#@tenant</c>),
    /// the guest's home address (<c>name@home.example</c>), which is what people sign in and are mailed under.
    /// </summary>
    public static IEnumerable<string> Forms(string userPrincipalName)
    {
        yield return userPrincipalName;
        int ext = userPrincipalName.IndexOf("#EXT#@", StringComparison.OrdinalIgnoreCase);
        int underscore = ext > 0 ? userPrincipalName.LastIndexOf('_', ext - 1) : -1;
        if (underscore > 0 && underscore < ext - 1)
        {
            yield return string.Concat(userPrincipalName.AsSpan(0, underscore), "@", userPrincipalName.AsSpan(underscore + 1, ext - underscore - 1));
        }
    }

    /// <summary>
    /// Why a user principal name cannot name a directory account, or null when it can: invisible,
    /// control or unassigned characters (they would make a lookalike that no normalization folds away),
    /// or a form that is no longer user@domain once normalized (a full-width ＠).
    /// </summary>
    public static string? Problem(string userPrincipalName)
    {
        ArgumentNullException.ThrowIfNull(userPrincipalName);
        if (HasLoneSurrogate(userPrincipalName))
        {
            return "contains an invalid Unicode sequence";
        }

        foreach (Rune r in userPrincipalName.EnumerateRunes())
        {
            UnicodeCategory c = Rune.GetUnicodeCategory(r);
            if (c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return $"contains the invisible or control character U+{r.Value:X4}; send the directory account's exact name";
            }
        }

        string canonical = Canonical(userPrincipalName);
        int at = canonical.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == canonical.Length - 1 || canonical.IndexOf('@', at + 1) >= 0)
        {
            return "is not a single user@domain address once Unicode-normalized (NFKC)";
        }

        // A directory account's name is ASCII (Entra ID: letters, digits and ' . - _ ! # ^ ~ before the @, a DNS name after).
        // A letter no normalization folds into it (a Cyrillic а, a combining accent) names no account: a lookalike that opened
        // an incident of its own beside the person's, whose containment failed (found by an attack).
        foreach (Rune r in canonical.EnumerateRunes())
        {
            if (r.Value > 0x7E)
            {
                return $"contains U+{r.Value:X4}, which no directory account's name has (they are ASCII); send the account's exact name";
            }
        }

        if (canonical[(at + 1)..].Split('.').Any(label => label.Length == 0))
        {
            return "has an empty label in its domain (a leading, trailing or double dot); send the account's exact name";
        }

        return null;
    }

    static bool HasLoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }

        return false;
    }
}
