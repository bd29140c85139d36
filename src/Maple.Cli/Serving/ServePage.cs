namespace Maple.Cli.Serving;

/// <summary>The page at <c>/</c>: drop an image (or pick one), see its top 5 classes as bars. Self-contained: no outside resources.</summary>
static class ServePage
{
    public static string Html(int classes) => Template.Replace("{{CLASSES}}", classes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    const string Template = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Maple classifier</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .sub { color: #5b6475; margin-top: 0; }
  #drop { border: 2px dashed #8a94a8; border-radius: 10px; padding: 1.5rem; text-align: center; cursor: pointer; background: #f7f8fb; }
  #drop.over { border-color: #2f6fdb; background: #eaf1fd; }
  #preview { max-width: 100%; max-height: 16rem; display: none; margin: 1rem auto 0; border-radius: 6px; }
  #status { min-height: 1.4rem; margin: .8rem 0; color: #5b6475; }
  #status.error { color: #b3261e; }
  .row { display: grid; grid-template-columns: 11rem 1fr 4.5rem; align-items: center; gap: .6rem; margin: .35rem 0; }
  .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .track { background: #e6e9f0; border-radius: 4px; height: 1.1rem; }
  .bar { background: #2f6fdb; border-radius: 4px; height: 100%; }
  .pct { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Maple classifier</h1>
<p class="sub">{{CLASSES}} classes. Drop an image below, or click to choose one; the five most likely classes appear as bars.</p>
<div id="drop" tabindex="0">Drop an image here or click to choose a file
  <input id="file" type="file" accept="image/*" hidden>
  <img id="preview" alt="the image being classified">
</div>
<div id="status"></div>
<div id="results"></div>
<script>
const drop = document.getElementById('drop');
const input = document.getElementById('file');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');
const preview = document.getElementById('preview');
drop.addEventListener('click', () => input.click());
drop.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') input.click(); });
drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files.length) classify(e.dataTransfer.files[0]); });
input.addEventListener('change', () => { if (input.files.length) classify(input.files[0]); });

async function classify(file) {
  results.replaceChildren();
  statusLine.className = '';
  statusLine.textContent = 'Classifying ' + file.name + '…';
  preview.src = URL.createObjectURL(file);
  preview.style.display = 'block';
  try {
    const response = await fetch('classify?top=5', { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    statusLine.textContent = file.name + ' (' + answer.image.width + '×' + answer.image.height + ')';
    for (const score of answer.top) {
      const row = document.createElement('div');
      row.className = 'row';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = score.class;
      name.title = score.class;
      const track = document.createElement('div');
      track.className = 'track';
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = (100 * score.probability).toFixed(1) + '%';
      track.appendChild(bar);
      const pct = document.createElement('span');
      pct.className = 'pct';
      pct.textContent = (100 * score.probability).toFixed(1) + '%';
      row.append(name, track, pct);
      results.appendChild(row);
    }
  } catch (error) {
    statusLine.className = 'error';
    statusLine.textContent = 'Error: ' + error.message;
  }
}
</script>
</body>
</html>
""";
}
