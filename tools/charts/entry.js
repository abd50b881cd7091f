// Entry of the vendored ECharts bundle (crates/web/assets/echarts.js), built by
// scripts/build-charts.sh. Imports only what crates/web/assets/charts.js uses,
// so the tree-shaken bundle stays small; exposes the usual `window.echarts`.
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import langDE from 'echarts/lib/i18n/langDE.js';

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  VisualMapContinuousComponent,
  AriaComponent,
  SVGRenderer,
]);
echarts.registerLocale('DE', langDE);

window.echarts = echarts;
