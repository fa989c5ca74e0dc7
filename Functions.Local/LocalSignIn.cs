using System.Net;
using System.Text;
using Cordon.Incidents;
using Cordon.Operators;

namespace Cordon.Local;

/// <summary>
/// Stands in for App Service Authentication on one machine. The app reads the operator from
/// X-MS-CLIENT-PRINCIPAL exactly as in Azure; here that header is believed from loopback callers only
/// (stripped from anyone else, as the platform strips a client's), and a development sign-in page at the
/// platform's own path (/.auth/login/aad: choose a name and a role) sets a cookie this host turns into the header.
/// </summary>
public static class LocalSignIn
{
    public const string Cookie = "cordon-dev-principal";
    public const string LoginPath = "/.auth/login/aad";
    public const string LogoutPath = "/.auth/logout";
    const int MaxField = 100;

    /// <summary>Who the command-line client is on the timeline (it only reads).</summary>
    public static string CliName => $"cordon CLI ({Environment.UserName})";

    /// <summary>Middleware: the header only from this machine; else from the development sign-in cookie.</summary>
    public static Task Principal(HttpContext ctx, Func<Task> next)
    {
        IPAddress? remote = ctx.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote))
        {
            ctx.Request.Headers.Remove(OperatorPrincipal.Header);
        }
        else if (!ctx.Request.Headers.ContainsKey(OperatorPrincipal.Header) && ctx.Request.Cookies[Cookie] is { Length: > 0 } signedIn)
        {
            ctx.Request.Headers[OperatorPrincipal.Header] = signedIn;
        }

        return next();
    }

    public static void Map(WebApplication app)
    {
        app.MapGet(LoginPath, (HttpContext ctx) => Page(ctx, StatusCodes.Status200OK, Form(ReturnPath(ctx.Request.Query["post_login_redirect_uri"]), [])));
        app.MapPost(LoginPath, (Delegate)SignInAsync);
        app.MapGet(LogoutPath, (HttpContext ctx) =>
        {
            ctx.Response.Cookies.Delete(Cookie);
            return Results.Redirect(ReturnPath(ctx.Request.Query["post_logout_redirect_uri"]));
        });
    }

    /// <summary>A client of the local host signed in as a fixed principal (CLI, bench, tests on this machine).</summary>
    public static HttpClient SignedInAs(this HttpClient http, string name, string role, string? preferredUsername = null)
    {
        http.DefaultRequestHeaders.Remove(OperatorPrincipal.Header);
        http.DefaultRequestHeaders.Add(OperatorPrincipal.Header, OperatorPrincipal.Encode(name, preferredUsername, [role], "local"));
        return http;
    }

    static async Task<IResult> SignInAsync(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType)
        {
            return Results.BadRequest();
        }

        // Garbage multipart or over 1,024 fields is the sender's mistake: 400, never a 500.
        var (form, unreadable) = await Cordon.Alerts.Problems.ReadFormAsync(ctx.Request, ctx.RequestAborted);
        if (form is null)
        {
            return Page(ctx, StatusCodes.Status400BadRequest, Form("/", [unreadable!]));
        }

        string? Field(string name) => form[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        string back = ReturnPath(Field("post_login_redirect_uri"));
        string? name = Field("name"), username = Field("username"), role = Field("role");
        var errors = new List<string>();
        if (!IncidentsApi.SameOrigin(ctx.Request))
        {
            errors.Add("the sign-in form was not posted from this host");
        }

        if (name is null || name.Length > MaxField)
        {
            errors.Add($"name is required (at most {MaxField} characters): it goes on the timeline of every action");
        }

        if (username is { Length: > MaxField })
        {
            errors.Add($"sign-in name must be at most {MaxField} characters");
        }

        if (role is null || !OperatorRoles.All.Contains(role))
        {
            errors.Add($"role must be {string.Join(" or ", OperatorRoles.All)}");
        }

        if (errors.Count > 0)
        {
            return Page(ctx, StatusCodes.Status400BadRequest, Form(back, errors));
        }

        ctx.Response.Cookies.Append(Cookie, OperatorPrincipal.Encode(name!, username, [role!], "local"),
            new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
        return Results.Redirect(back);
    }

    /// <summary>
    /// Only an absolute path on this host of printable ASCII, else "/": browsers drop tabs and line breaks from a
    /// Location ("/\t/evil.example" becomes "//evil.example", another host) and read a backslash as a slash, and
    /// Kestrel refuses to send a header with control or non-ASCII characters (a 500).
    /// </summary>
    public static string ReturnPath(string? path) =>
        path is { Length: > 0 and <= 2000 } && path[0] == '/' && (path.Length == 1 || path[1] != '/') && path.All(c => c is >= ' ' and < '\x7f' and not '\\')
            ? path : "/";

    static string Form(string back, IReadOnlyList<string> errors)
    {
        var b = new StringBuilder("<h1>Sign in (development)</h1>")
            .Append("<p>This local host stands in for Entra ID sign-in: choose who you are and your role. In Azure, App Service Authentication signs operators in and the app roles come from Entra ID.</p>");
        if (errors.Count > 0)
        {
            b.Append("<ul class=\"errors\" role=\"alert\">");
            foreach (string e in errors)
            {
                b.Append("<li>").Append(E(e)).Append("</li>");
            }

            b.Append("</ul>");
        }

        b.Append("<form method=\"post\" action=\"").Append(LoginPath).Append("\"><input type=\"hidden\" name=\"post_login_redirect_uri\" value=\"").Append(E(back)).Append("\">")
         .Append("<div><label for=\"name\">Name</label><input id=\"name\" name=\"name\" type=\"text\" required maxlength=\"100\" autocomplete=\"name\"></div>")
         .Append("<div><label for=\"username\">Sign-in name (preferred_username)</label><input id=\"username\" name=\"username\" type=\"email\" maxlength=\"100\" placeholder=\"olga.ops@contoso.example\"></div>")
         .Append("<div><label for=\"role\">Role</label><select id=\"role\" name=\"role\">")
         .Append("<option value=\"").Append(OperatorRoles.Operator).Append("\">").Append(OperatorRoles.Operator).Append(" (view and act)</option>")
         .Append("<option value=\"").Append(OperatorRoles.Reader).Append("\">").Append(OperatorRoles.Reader).Append(" (view only)</option></select></div>")
         .Append("<div><button type=\"submit\">Sign in</button></div></form>");
        return b.ToString();
    }

    static IResult Page(HttpContext ctx, int status, string body)
    {
        ctx.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        ctx.Response.Headers.CacheControl = "no-store";
        string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>Sign in · Cordon (local)</title><style>" +
            "body{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111827}header{background:#1e293b;color:#fff;padding:.8rem 1.5rem}" +
            "main{max-width:36rem;margin:1rem auto;padding:0 1rem}form{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1rem;display:grid;gap:.8rem}" +
            "label{display:block;font-size:.85rem;margin-bottom:.2rem}input,select{font:inherit;padding:.3rem;width:100%;box-sizing:border-box}" +
            "button{font:inherit;font-weight:600;padding:.4rem .9rem;border:0;border-radius:5px;background:#1d4ed8;color:#fff}.errors{color:#7f1d1d}" +
            "</style></head><body><header><strong>Cordon</strong> · local development sign-in</header><main>" + body + "</main></body></html>";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
}
