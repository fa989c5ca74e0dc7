using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cordon.World;

/// <summary>
/// How the configuration documents (the world, the policy) are read: strictly. A JSON null where a value, a list or an
/// object is needed, and a field the document does not know, are refused naming where they are, like any other invalid
/// field (found by an attack: a null threw a NullReferenceException out of validation and stopped the host; a mistyped
/// field was silently ignored). Only for these documents: records and orchestration inputs keep their own options.
/// </summary>
public static class ConfigurationJson
{
    /// <summary>The project's options (<see cref="CordonJson.Options"/>) with nulls checked against the model's nullability and unknown fields refused.</summary>
    public static JsonSerializerOptions Strict(JsonSerializerOptions from) => new(from)
    {
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>What follows "policy x.json is not valid": where a deserialization failed and why, in an operator's words ("at $.confirm: null is not allowed …").</summary>
    public static string Describe(JsonException ex)
    {
        string what = ex.Message.Split(". Path:")[0].Split(" Path:")[0];
        if (what.Contains("doesn't allow setting null values", StringComparison.Ordinal))
        {
            what = "null is not allowed here: give a value, or leave the field out for its default";
        }
        else if (what.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            what = "this field is not known (check its spelling)";
        }

        string line = ex.LineNumber is { } n ? $" (line {n + 1})" : "";
        return string.IsNullOrEmpty(ex.Path) ? $": {what}{line}" : $" at {ex.Path}: {what}{line}";
    }

    /// <summary>
    /// Every list element and dictionary value that is null where the model says it cannot be, by its JSON path
    /// (e.g. <c>vendors[0].sites[1] is null</c>). The serializer checks properties (<see cref="Strict"/>), not what
    /// collections hold. Walks the settable public properties of Cordon's own types; other values are leaves.
    /// </summary>
    public static IReadOnlyList<string> NullElements(object document)
    {
        var errors = new List<string>();
        var context = new NullabilityInfoContext();
        WalkObject(document, "", errors, context, 0);
        return errors;
    }

    const int MaxDepth = 32;

    static void WalkObject(object value, string path, List<string> errors, NullabilityInfoContext context, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // What the document sets (init/set properties); computed ones (Site.Zone, AgentCount) are not read.
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.SetMethod is null
                || property.IsDefined(typeof(JsonIgnoreAttribute)))
            {
                continue;
            }

            string name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            Walk(property.GetValue(value), context.Create(property), path.Length == 0 ? name : $"{path}.{name}", errors, context, depth + 1);
        }
    }

    static void Walk(object? value, NullabilityInfo nullability, string path, List<string> errors, NullabilityInfoContext context, int depth)
    {
        if (value is null)
        {
            if (nullability.ReadState == NullabilityState.NotNull)
            {
                errors.Add($"{path} is null: give a value, or remove it");
            }

            return;
        }

        if (value is string || depth > MaxDepth)
        {
            return;
        }

        if (value is IDictionary dictionary)
        {
            NullabilityInfo values = nullability.GenericTypeArguments is [_, { } v] ? v : nullability;
            foreach (DictionaryEntry entry in dictionary)
            {
                Walk(entry.Value, values, $"{path}.{entry.Key}", errors, context, depth + 1);
            }
        }
        else if (value is IEnumerable list)
        {
            NullabilityInfo? elements = nullability.ElementType ?? (nullability.GenericTypeArguments is [{ } e] ? e : null);
            int i = 0;
            foreach (object? element in list)
            {
                if (elements is not null)
                {
                    Walk(element, elements, $"{path}[{i}]", errors, context, depth + 1);
                }

                i++;
            }
        }
        else if (value.GetType() is { IsValueType: false } type && type.Namespace?.StartsWith("Cordon", StringComparison.Ordinal) == true)
        {
            WalkObject(value, path, errors, context, depth);
        }
    }
}
