import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppI18n } from './i18n';
import { api } from './api';
import { setTransport } from './stores/transport';
import './styles.css';

setTransport(api);
createApp(App).use(createPinia()).use(createAppI18n()).mount('#app');
