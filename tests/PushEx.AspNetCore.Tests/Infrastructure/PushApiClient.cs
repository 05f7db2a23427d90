using System.Net.Http.Headers;
using System.Text;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Posts to the push API of a test host.</summary>
public static class PushApiClient
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string json, string? key = TestApiAuthorizer.Key, string path = "/api/push")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<string> BodyAsync(HttpResponseMessage response) =>
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
}
