const axios = require('axios');

const client = axios.create({
  baseURL: 'https://yourstore.pixlpay.net/api/external/v1',
  headers: {
    'Authorization': `Bearer ${process.env.PIXLPAY_API_TOKEN}`,
    'Accept': 'application/json',
  },
});

async function getProducts() {
  try {
    const response = await client.get('/products');
    return response.data;
  } catch (error) {
    if (error.response?.status === 401) {
      throw new Error('Authentication failed');
    }
    throw error;
  }
}
