using System.Net.Http.Json;
using System.Text.Json;
using Maple.Cli.Serving;
using Maple.Clip;
using Maple.Evaluation;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Training;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Maple.Tests.Serving;

/// <summary>
/// The page at <c>/</c> in headless Chromium (Debian's package): an image chosen on it shows the top 5 classes as
/// bars, the same as the JSON API says; a bad file shows the server's reason. CI installs Chromium (.ci/run); on a
/// machine without it the test says so and stops. <c>MAPLE_SCREENSHOT</c> names a PNG to save the page to.
/// </summary>
public sealed class ServePageTests(ITestOutputHelper output)
{
    const string Chromium = "/usr/bin/chromium";

    static readonly string[] ClassNames = ["tabby cat", "coffee cup", "astronaut", "rocket", "camera", "motorcycle"];

    static double Percent(string text) => double.Parse(text.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture);

    static string Image(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    [Fact]
    public async Task ThePageShowsTheTopFiveAsBarsAndTheServersErrors()
    {
        if (!File.Exists(Chromium))
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, $"{Chromium} is missing: CI installs Debian's chromium package");
            output.WriteLine($"{Chromium} is missing (apt-get install chromium): the page was not tested");
            return;
        }
        var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        var learner = PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0);
        using var classifier = new TorchImageClassifier(new ClipBackbone(clip), new ImageClassifier(new FeatureExtractor(clip), learner, ClassNames, templates: null));
        await using var server = await ClassifierServer.StartAsync(classifier, new ServeOptions("127.0.0.1", 0));
        using var http = new HttpClient();
        using var content = new ByteArrayContent(File.ReadAllBytes(Image("chelsea.png")));
        using var response = await http.PostAsync(new Uri(server.Address, "classify?top=5"), content);
        var api = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("top").EnumerateArray()
            .Select(s => $"{s.GetProperty("class").GetString()}|{(100 * s.GetProperty("probability").GetDouble()).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)}%")
            .ToArray();

        using var profile = new TempFolder();
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            UserDataDir = profile.Path,
            // Root in a container has no sandbox; the rest keep Chromium off the (closed) network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            Timeout = 60_000,
        });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 820, Height = 760 });
        await page.GoToAsync(server.Address.ToString());
        Assert.Equal("Maple classifier", await page.GetTitleAsync());

        var input = await page.QuerySelectorAsync("#file");
        await input.UploadFileAsync(Image("chelsea.png"));
        await page.WaitForSelectorAsync(".row:nth-child(5)", new WaitForSelectorOptions { Timeout = 30_000 });
        var rows = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('.row')].map(r => r.querySelector('.name').textContent + '|' + r.querySelector('.pct').textContent)");
        Assert.Equal(api, rows);
        // Each bar is as wide as its probability.
        var widths = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.bar')].map(b => b.style.width)");
        Assert.Equal(api.Select(a => Percent(a.Split('|')[1])), widths.Select(Percent));
        Assert.Equal("chelsea.png (451×300)", await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent"));
        if (Environment.GetEnvironmentVariable("MAPLE_SCREENSHOT") is { Length: > 0 } screenshot)
            await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });

        await input.UploadFileAsync(Image("broken_not_an_image.png"));
        await page.WaitForSelectorAsync("#status.error", new WaitForSelectorOptions { Timeout = 30_000 });
        var status = await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");
        Assert.StartsWith("Error: Cannot decode image 'the uploaded image': not a recognised image format", status);
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.row').length"));
    }
}
